/** The report's HTML tables: metrics with intervals, per-class scores, ablation, metadata. */
import type { AblationCell } from '../fusion/learned/ablation.js';
import type { EvalEntry, Evaluation } from '../fusion/learned/evaluate.js';
import { METRICS, type PerClassView, entryLabel } from './charts.js';

/** Escapes text for HTML. */
export const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fixed = (v: number, d = 4) => v.toFixed(d);
const isBest = (ev: Evaluation, e: EvalEntry) => e.name === ev.best && e.kind !== 'modality';

/** Every entry's metrics, each with its bootstrap interval under it when there is one. */
export function metricsTable(ev: Evaluation): string {
  const head = METRICS.map(([, t]) => `<th scope="col">${escape(t.replace(' (log scale)', ''))}</th>`).join('');
  const rows = ev.entries.map((e) => {
    const cells = METRICS.map(([k]) => {
      const ci = e.intervals?.[k];
      return `<td>${fixed(e.metrics[k])}${ci ? `<br><small>${fixed(ci.low, 3)}–${fixed(ci.high, 3)}</small>` : ''}</td>`;
    }).join('');
    return `<tr${isBest(ev, e) ? ' class="best"' : ''}><th scope="row">${escape(e.name)}</th><td>${e.kind}</td>${cells}<td>${e.rows}</td></tr>`;
  });
  return `<table><thead><tr><th scope="col">strategy</th><th scope="col">kind</th>${head}<th scope="col">rows</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** One collapsible table per entry: precision, recall, F1 and support of each class. */
export function perClassTables(ev: PerClassView, what = 'class'): string {
  return ev.entries
    .map((e) => {
      const rows = e.perClass.map((s, c) => `<tr><th scope="row">${escape(ev.classes[c]!)}</th><td>${fixed(s.precision, 3)}</td><td>${fixed(s.recall, 3)}</td><td>${fixed(s.f1, 3)}</td><td>${s.support}</td></tr>`);
      return `<details><summary>${escape(entryLabel(e))}</summary><table class="compact"><thead><tr><th scope="col">${what}</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">F1</th><th scope="col">support</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
    })
    .join('\n');
}

function cell(c: AblationCell | null | undefined, all: EvalEntry | undefined): string {
  if (!c) return '<td>–</td>';
  const delta = all ? c.accuracy - all.metrics.accuracy : 0;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return `<td>${fixed(c.accuracy, 3)} <small>(${sign}${fixed(Math.abs(delta), 3)})</small><br><small>log loss ${fixed(c.logLoss, 3)} · ${c.rows} rows</small></td>`;
}

/** Accuracy (and its change from all modalities) and log loss of each strategy with each modality removed, and alone. */
export function ablationTable(ev: Evaluation): string {
  const ms = ev.diversity?.modalities ?? Object.keys(ev.ablation?.[0]?.without ?? {});
  const head = [...ms.map((m) => `<th scope="col">without ${escape(m)}</th>`), ...ms.map((m) => `<th scope="col">only ${escape(m)}</th>`)].join('');
  const rows = (ev.ablation ?? []).map((r) => {
    const all = ev.entries.find((e) => e.name === r.name && e.kind !== 'modality');
    return `<tr><th scope="row">${escape(r.name)}</th><td>${all ? fixed(all.metrics.accuracy, 3) : '–'}</td>${ms.map((m) => cell(r.without[m], all)).join('')}${ms.map((m) => cell(r.only[m], all)).join('')}</tr>`;
  });
  return `<table class="compact"><thead><tr><th scope="col">strategy</th><th scope="col">all</th>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** What a report says about where its numbers come from. */
export interface ReportModel {
  name: string;
  kind?: string;
  createdAt?: string;
  dataSha256?: string;
  options?: Record<string, unknown>;
}

/** A definition list of the run: data, its hash, date, models and their training options, evaluation options. */
export function metadataList(ev: Evaluation, m: { source?: string; dataSha256?: string; createdAt: string; models?: ReportModel[]; options?: Record<string, unknown> }): string {
  const items: [string, string][] = [
    ['profile', `<code>${escape(ev.profile)}</code> (${ev.classes.length} classes: ${escape(ev.classes.join(', '))})`],
    ['data', `${m.source ? `<code>${escape(m.source)}</code>, ` : ''}${ev.rows} labelled rows`],
  ];
  if (m.dataSha256) items.push(['data SHA-256', `<code class="hash">${escape(m.dataSha256)}</code>`]);
  items.push(['generated', escape(m.createdAt)]);
  for (const model of m.models ?? [])
    items.push([
      `model ${escape(model.name)}`,
      `${escape(model.kind ?? '')}${model.createdAt ? `, trained ${escape(model.createdAt)}` : ''}${model.dataSha256 ? ` on data <code class="hash">${escape(model.dataSha256.slice(0, 16))}…</code>` : ''}; options <code>${escape(JSON.stringify(model.options ?? {}))}</code>`,
    ]);
  if (m.options) items.push(['evaluation options', `<code>${escape(JSON.stringify(m.options))}</code>`]);
  if (ev.bootstrap) items.push(['intervals', `percentile bootstrap 95%, ${ev.bootstrap.resamples} resamples, seed ${ev.bootstrap.seed}`]);
  return `<dl>${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}
