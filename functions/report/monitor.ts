/**
 * The monitoring report (`fusion monitor --report`): the evaluation report's charts computed on
 * logged decisions with their feedback, followed by what only the log can show: missing-modality
 * rates per day, drift, the variants and the shadows. Classification gets the evaluation
 * report itself; regression and multi-label their sections from `monitor-tasks.ts`.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ClassificationSummary, OnlineResult, OnlineSummary } from '../fusion/loop/online.js';
import { PSI_ALERT } from '../fusion/loop/psi.js';
import { renderReport, reportPage } from './html.js';
import { SCORE_COLUMNS, driftSpec, multilabelSections, num, regressionSections, scoreCells, table, taskDriftSection } from './monitor-tasks.js';

export { driftSpec } from './monitor-tasks.js';
import { toSvg } from './render.js';
import { escape } from './tables.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Each modality's missing rate per day, one line per modality. */
export function missingSpec(s: OnlineSummary): TopLevelSpec {
  const values = s.missingByDay.flatMap((d) => Object.entries(d.missingRate).map(([modality, rate]) => ({ day: d.day, modality, rate })));
  return {
    $schema: SCHEMA,
    title: 'Missing rate per day',
    data: { values },
    width: 600,
    height: 200,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'day', type: 'ordinal', title: null },
      y: { field: 'rate', type: 'quantitative', title: 'missing rate', scale: { domain: [0, 1] } },
      color: { field: 'modality', type: 'nominal', legend: { orient: 'bottom', direction: 'horizontal', title: null } },
      tooltip: [{ field: 'day' }, { field: 'modality' }, { field: 'rate', format: '.3f' }],
    },
  };
}

/** The classification drift section: PSI against the reference, and the label-free statistics. */
async function driftSection(s: ClassificationSummary): Promise<string> {
  const hasPsi = Object.values(s.drift).some((d) => d.psi !== undefined);
  const drift = hasPsi ? await toSvg(driftSpec(s)) : undefined;
  const driftRows = Object.entries(s.drift).map(([m, d]) => [
    m,
    num(d.psi),
    d.drift === undefined ? '–' : d.drift ? '<strong>drift</strong>' : 'stable',
    num(d.missingRate, 3),
    num(d.meanConfidence, 3),
    num(d.disagreementRate, 3),
    num(d.meanContribution, 3),
  ]);
  return `<section id="drift"><h2>Drift</h2><p>Population stability index of each modality's predicted-class shares against the profile's training reference (written by <code>fusion train</code>): below 0.1 no shift, 0.1 to 0.2 moderate, above ${PSI_ALERT} significant.${hasPsi ? '' : ' The profile has no reference; retrain it with <code>fusion train</code> to get one.'}</p>${drift ? `<figure>${drift}</figure>` : ''}${table(
    ['modality', 'PSI', 'status', 'missing rate', 'mean confidence', 'disagreement', 'mean contribution'],
    driftRows,
  )}</section>`;
}

/** The sections only the decision log has. */
async function loopSections(s: OnlineSummary): Promise<string[]> {
  const modalities = Object.keys(s.drift);
  const [missing, drift] = await Promise.all([s.missingByDay.length ? toSvg(missingSpec(s)) : undefined, s.task === 'classification' ? driftSection(s) : taskDriftSection(s)]);
  const sections = [
    `<section id="missing"><h2>Missing modalities over time</h2>${missing ? `<figure>${missing}</figure>` : '<p>No decisions in the period.</p>'}${table(
      ['day', 'decisions', ...modalities],
      s.missingByDay.map((d) => [d.day, String(d.decisions), ...modalities.map((m) => num(d.missingRate[m], 3))]),
    )}</section>`,
    drift,
  ];
  const scores = SCORE_COLUMNS[s.task].map(([, t]) => t);
  const variants = Object.entries(s.byVariant);
  if (variants.some(([v]) => v === 'canary'))
    sections.push(
      `<section id="variants"><h2>Variants</h2><p>Primary against canary on the decisions each answered (labelled rows only for the scores).</p>${table(
        ['variant', 'decisions', 'labelled', ...scores],
        variants.map(([v, x]) => [v, String(x.decisions), ...scoreCells(s.task, x)]),
      )}</section>`,
    );
  const shadows = Object.entries(s.shadows);
  if (shadows.length) {
    const scored = s.task === 'classification';
    sections.push(
      `<section id="shadows"><h2>Shadows</h2><p>Each shadow computed on the same decisions after the answer: how often it agreed with the answer, how often it failed${scored ? ', and its online scores where feedback arrived' : ''}.</p>${table(
        ['shadow', 'decisions', 'failures', 'agreement', ...(scored ? ['labelled', ...scores] : [])],
        shadows.map(([n, x]) => [n, String(x.decisions), String(x.failures), num(x.agreement, 3), ...(scored ? scoreCells(s.task, x) : [])]),
      )}</section>`,
    );
  }
  return sections;
}

/** What the log held that was counted but not scored, as a sentence (empty when nothing). */
function unscored(s: OnlineSummary): string {
  const parts = [
    ...(s.unknownLabels ? [`${s.unknownLabels} with a ${s.task === 'multilabel' ? 'label' : 'class'} that is not the profile's`] : []),
    ...Object.entries(s.mismatchedFeedback).map(([k, n]) => `${n} with feedback giving ${k.replace(/ for .*/, '')}, which does not fit a ${s.task} decision`),
    ...Object.entries(s.otherTasks).map(([t, n]) => `${n} ${t} decisions logged under this profile name`),
  ];
  return parts.length ? ` Not scored: ${parts.map(escape).join('; ')}.` : '';
}

const SCORED_AS = {
  classification: 'Each logged answer is scored as its label with its confidence, the rest spread evenly over the other classes.',
  regression: 'Each logged value (and its std, where logged) is scored against the true value.',
  multilabel: "Each logged label set is scored against the true labels; its fused scores give the Brier score, log loss and calibration.",
};

/** What the report says about its data. */
export interface MonitorMeta {
  source: string;
  since: string;
  createdAt?: string;
}

const isRegression = (r: OnlineResult): r is Extract<OnlineResult, { summary: { task: 'regression' } }> => r.summary.task === 'regression';
const isMultilabel = (r: OnlineResult): r is Extract<OnlineResult, { summary: { task: 'multilabel' } }> => r.summary.task === 'multilabel';

/**
 * The monitoring report as one self-contained HTML page. With labelled decisions it is the
 * evaluation report (classification: metrics, comparison, per class, confusion, reliability;
 * regression: metrics, comparison, predicted against actual; multi-label: metrics, comparison,
 * per label, reliability per label) plus the loop's sections; without any, the loop's alone.
 */
export async function renderMonitorReport(r: OnlineResult, meta: MonitorMeta): Promise<string> {
  const s = r.summary;
  const title = `Fusion monitor: ${s.profile} since ${meta.since}`;
  const createdAt = meta.createdAt ?? new Date().toISOString();
  const intro = `<section id="online"><h2>Online</h2><p>${s.decisions} ${s.task} decisions from <code>${escape(meta.source)}</code>; ${s.labelled} with feedback scored.${unscored(s)} ${SCORED_AS[s.task]}</p></section>`;
  const extra = [intro, ...(await loopSections(s))].join('\n');
  const evaluation = 'evaluation' in r ? r.evaluation : undefined;
  if (evaluation) {
    const html = await renderReport(evaluation, { title, source: meta.source, createdAt });
    return html.replace('\n</main>', `\n${extra}\n</main>`);
  }
  const sections = isRegression(r) ? await regressionSections(r.summary, r.charts) : isMultilabel(r) ? await multilabelSections(r.summary, r.charts) : [];
  if (sections.length) return reportPage(title, `<p>Generated ${escape(createdAt)}.</p>\n${[...sections, extra].join('\n')}`);
  return reportPage(title, `<p>No decision in the period has feedback yet, so only the label-free sections are shown.</p>\n${extra}`);
}
