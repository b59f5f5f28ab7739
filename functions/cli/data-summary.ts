import type { Profile } from '../fusion/index.js';

/** Lines sampled to describe a data file (the file itself is validated in full by the trainer). */
const SAMPLE_LINES = 1000;
/** Names listed per set before "and N more". */
const LIST_MAX = 12;

function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length > LIST_MAX ? `${all.slice(0, LIST_MAX).join(', ')} and ${all.length - LIST_MAX} more` : all.join(', ');
}

/**
 * One line saying how labelled JSONL data and a profile disagree, when the data (its first
 * {@link SAMPLE_LINES} lines) names modalities or labels the profile does not have; else
 * undefined. Printed before the per-line errors, so a wrong `--profile` is obvious at once.
 */
export function dataMismatch(text: string, profile: Profile): string | undefined {
  const modalities = new Set<string>();
  const labels = new Set<string>();
  let start = 0;
  for (let n = 0; n < SAMPLE_LINES && start < text.length; n++) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end).trim();
    start = end < 0 ? text.length : end + 1;
    if (!line) continue;
    try {
      const row = JSON.parse(line) as { predictions?: unknown; label?: unknown };
      if (row.predictions && typeof row.predictions === 'object') for (const m of Object.keys(row.predictions)) modalities.add(m);
      if (typeof row.label === 'string') labels.add(row.label);
    } catch {
      // a bad line is reported with its number by the trainer
    }
  }
  const foreignModalities = [...modalities].some((m) => !profile.modalities.includes(m));
  const foreignLabels = [...labels].some((l) => !profile.classes.includes(l));
  if (!foreignModalities && !foreignLabels) return undefined;
  const data = [foreignModalities && `modalities ${list(modalities)}`, foreignLabels && `labels ${list(labels)}`].filter(Boolean).join(' and ');
  const own = [foreignModalities && `modalities ${list(profile.modalities)}`, foreignLabels && `classes ${list(profile.classes)}`].filter(Boolean).join(' and ');
  return `the data has ${data}; profile ${profile.name} has ${own}. Is --profile the one this data was made for?`;
}
