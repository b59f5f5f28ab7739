/**
 * The monitoring report (`fusion monitor --report`): the evaluation report's charts computed on
 * logged decisions with their feedback, followed by what only the log can show: missing-modality
 * rates per day, drift against the profile's reference, the variants and the shadows.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Evaluation } from '../fusion/learned/evaluate.js';
import type { OnlineScore, OnlineSummary } from '../fusion/loop/online.js';
import { PSI_ALERT } from '../fusion/loop/psi.js';
import { renderReport, reportPage } from './html.js';
import { toSvg } from './render.js';
import { escape } from './tables.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const num = (v: number | null | undefined, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const table = (head: string[], rows: string[][]) =>
  `<div class="scroll"><table class="compact"><thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(([first, ...rest]) => `<tr><th scope="row">${escape(first!)}</th>${rest.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;

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

/** PSI per modality against the reference, with the alert line at 0.2. */
export function driftSpec(s: OnlineSummary): TopLevelSpec {
  const values = Object.entries(s.drift).flatMap(([modality, d]) => (d.psi === undefined ? [] : [{ modality, psi: d.psi }]));
  return {
    $schema: SCHEMA,
    title: `PSI against the training reference (alert above ${PSI_ALERT})`,
    width: 400,
    height: { step: 20 },
    layer: [
      {
        data: { values },
        mark: { type: 'bar', color: '#1f5f99' },
        encoding: { y: { field: 'modality', type: 'nominal', title: null }, x: { field: 'psi', type: 'quantitative', title: 'PSI' }, tooltip: [{ field: 'modality' }, { field: 'psi', format: '.4f' }] },
      },
      { data: { values: [{ alert: PSI_ALERT }] }, mark: { type: 'rule', color: '#a3401c', strokeWidth: 2 }, encoding: { x: { field: 'alert', type: 'quantitative' } } },
    ],
  };
}

const scoreCells = (s: Partial<OnlineScore>) => [String(s.rows ?? 0), num(s.accuracy), num(s.logLoss), num(s.ece)];

/** The sections only the decision log has. */
async function loopSections(s: OnlineSummary): Promise<string[]> {
  const hasPsi = Object.values(s.drift).some((d) => d.psi !== undefined);
  const [missing, drift] = await Promise.all([s.missingByDay.length ? toSvg(missingSpec(s)) : undefined, hasPsi ? toSvg(driftSpec(s)) : undefined]);
  const driftRows = Object.entries(s.drift).map(([m, d]) => [
    m,
    num(d.psi),
    d.drift === undefined ? '–' : d.drift ? '<strong>drift</strong>' : 'stable',
    num(d.missingRate, 3),
    num(d.meanConfidence, 3),
    num(d.disagreementRate, 3),
    num(d.meanContribution, 3),
  ]);
  const sections = [
    `<section id="missing"><h2>Missing modalities over time</h2>${missing ? `<figure>${missing}</figure>` : '<p>No decisions in the period.</p>'}${table(
      ['day', 'decisions', ...Object.keys(s.drift)],
      s.missingByDay.map((d) => [d.day, String(d.decisions), ...Object.keys(s.drift).map((m) => num(d.missingRate[m], 3))]),
    )}</section>`,
    `<section id="drift"><h2>Drift</h2><p>Population stability index of each modality's predicted-class shares against the profile's training reference (written by <code>fusion train</code>): below 0.1 no shift, 0.1 to 0.2 moderate, above ${PSI_ALERT} significant.${hasPsi ? '' : ' The profile has no reference; retrain it with <code>fusion train</code> to get one.'}</p>${drift ? `<figure>${drift}</figure>` : ''}${table(
      ['modality', 'PSI', 'status', 'missing rate', 'mean confidence', 'disagreement', 'mean contribution'],
      driftRows,
    )}</section>`,
  ];
  const variants = Object.entries(s.byVariant);
  if (variants.some(([v]) => v === 'canary'))
    sections.push(
      `<section id="variants"><h2>Variants</h2><p>Primary against canary on the decisions each answered (labelled rows only for the scores).</p>${table(
        ['variant', 'decisions', 'labelled', 'accuracy', 'log loss', 'ECE'],
        variants.map(([v, x]) => [v, String(x.decisions), ...scoreCells(x)]),
      )}</section>`,
    );
  const shadows = Object.entries(s.shadows);
  if (shadows.length)
    sections.push(
      `<section id="shadows"><h2>Shadows</h2><p>Each shadow computed on the same decisions after the answer: how often it agreed with the answer, how often it failed, and its online scores where feedback arrived.</p>${table(
        ['shadow', 'decisions', 'failures', 'agreement', 'labelled', 'accuracy', 'log loss', 'ECE'],
        shadows.map(([n, x]) => [n, String(x.decisions), String(x.failures), num(x.agreement, 3), ...scoreCells(x)]),
      )}</section>`,
    );
  return sections;
}

/** What the report says about its data. */
export interface MonitorMeta {
  source: string;
  since: string;
  createdAt?: string;
}

/**
 * The monitoring report as one self-contained HTML page. With labelled decisions it is the
 * evaluation report (metrics, comparison, per class, confusion, reliability) plus the loop's
 * sections; without any, the loop's sections alone.
 */
export async function renderMonitorReport(s: OnlineSummary, evaluation: Evaluation | undefined, meta: MonitorMeta): Promise<string> {
  const title = `Fusion monitor: ${s.profile} since ${meta.since}`;
  const createdAt = meta.createdAt ?? new Date().toISOString();
  const intro = `<section id="online"><h2>Online</h2><p>${s.decisions} decisions from <code>${escape(meta.source)}</code>; ${s.labelled} with a label${
    s.unknownLabels ? `, ${s.unknownLabels} labels not among the profile's classes (not scored)` : ''
  }. Each logged answer is scored as its label with its confidence, the rest spread evenly over the other classes.</p></section>`;
  const extra = [intro, ...(await loopSections(s))].join('\n');
  if (evaluation) {
    const html = await renderReport(evaluation, { title, source: meta.source, createdAt });
    return html.replace('\n</main>', `\n${extra}\n</main>`);
  }
  return reportPage(title, `<p>No decision in the period has feedback yet, so only the label-free sections are shown.</p>\n${extra}`);
}
