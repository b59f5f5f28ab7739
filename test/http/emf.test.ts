/**
 * The hand-written EMF emitter (functions/observability.ts): every record it writes must be one
 * CloudWatch accepts (the EMF specification's rules, checked by `emfProblems`), and the
 * environment switches it exactly as it switched Powertools Metrics.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMF_LIMITS, type EmfRecord, emfRecords, emitMetrics, metrics, metricsConfig } from '../../functions/observability.js';

const UNITS = new Set(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']);

/**
 * What breaks the EMF specification in `record` (empty when it is valid): Timestamp a whole number
 * of ms; each directive with a Namespace of 1-255 characters, at most 30 dimension keys per set,
 * each key a string member of the root, at most 100 metrics, each Name a finite number at the root
 * and its Unit one of CloudWatch's.
 */
function emfProblems(record: EmfRecord): string[] {
  const problems: string[] = [];
  const { Timestamp, CloudWatchMetrics } = record._aws;
  if (!Number.isInteger(Timestamp)) problems.push('Timestamp');
  for (const d of CloudWatchMetrics) {
    if (!(d.Namespace.length >= 1 && d.Namespace.length <= 255)) problems.push('Namespace');
    for (const set of d.Dimensions) {
      if (set.length > 30) problems.push(`${set.length} dimensions`);
      for (const k of set) if (typeof record[k] !== 'string') problems.push(`dimension ${k}`);
    }
    if (d.Metrics.length > 100) problems.push(`${d.Metrics.length} metrics`);
    for (const m of d.Metrics) {
      if (typeof record[m.Name] !== 'number' || !Number.isFinite(record[m.Name])) problems.push(`value ${m.Name}`);
      if (!UNITS.has(m.Unit)) problems.push(`unit ${m.Unit}`);
    }
  }
  return problems;
}

const CONFIG = { namespace: 'LateFusion', service: 'late-fusion' };

describe('emfRecords', () => {
  it('should write one valid record with the service dimension first and the values at the top level', () => {
    const [record, ...rest] = emfRecords(CONFIG, { strategy: 'average', task: 'classification' }, { DecisionsFused: 2, MissingModalities: 0 }, {}, 1_764_547_200_000);
    expect(rest).toEqual([]);
    expect(record).toEqual({
      _aws: {
        Timestamp: 1_764_547_200_000,
        CloudWatchMetrics: [
          { Namespace: 'LateFusion', Dimensions: [['service', 'strategy', 'task']], Metrics: [{ Name: 'DecisionsFused', Unit: 'Count' }, { Name: 'MissingModalities', Unit: 'Count' }] },
        ],
      },
      service: 'late-fusion',
      strategy: 'average',
      task: 'classification',
      DecisionsFused: 2,
      MissingModalities: 0,
    });
    expect(emfProblems(record!)).toEqual([]);
  });

  it('should keep the service dimension alone when no dimension is given', () => {
    const [record] = emfRecords(CONFIG, {}, { QueueMessages: 3 });
    expect(record!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(emfProblems(record!)).toEqual([]);
  });

  it('should give each metric the unit named for it, and Count to the rest', () => {
    const [record] = emfRecords(CONFIG, { strategy: 'vote' }, { BatchLines: 5, BatchSeconds: 1.25, Latency: 3 }, { BatchSeconds: 'Seconds', Latency: 'Milliseconds' });
    expect(record!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: 'BatchLines', Unit: 'Count' },
      { Name: 'BatchSeconds', Unit: 'Seconds' },
      { Name: 'Latency', Unit: 'Milliseconds' },
    ]);
    expect(record).toMatchObject({ BatchSeconds: 1.25, Latency: 3 });
  });

  it('should split 250 metrics into records of at most 100, each valid, together holding every value once', () => {
    const values = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`M${i}`, i]));
    const records = emfRecords(CONFIG, { strategy: 'average' }, values);
    expect(records.map((r) => r._aws.CloudWatchMetrics[0]!.Metrics.length)).toEqual([EMF_LIMITS.metrics, EMF_LIMITS.metrics, 50]);
    for (const r of records) expect(emfProblems(r)).toEqual([]);
    const written = records.flatMap((r) => r._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, r[m.Name]]));
    expect(Object.fromEntries(written)).toEqual(values);
  });

  it('should accept 30 dimension keys (service included) and throw a RangeError at 31', () => {
    const dims = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, 'v']));
    const [record] = emfRecords(CONFIG, dims(29), { X: 1 });
    expect(record!._aws.CloudWatchMetrics[0]!.Dimensions[0]).toHaveLength(30);
    expect(emfProblems(record!)).toEqual([]);
    expect(() => emfRecords(CONFIG, dims(30), { X: 1 })).toThrow(RangeError);
  });

  it('should leave out what CloudWatch would reject or misread: non-finite values, bad names, empty or overlong dimension values, metrics named like a dimension', () => {
    const dimensions = { strategy: '', task: 'regression', '': 'x', profile: 'p'.repeat(1025) };
    const [record] = emfRecords(CONFIG, dimensions, { Good: 1, Nan: Number.NaN, Inf: Number.POSITIVE_INFINITY, '': 2, ['L'.repeat(256)]: 3, task: 4, toString: 5 });
    expect(record!._aws.CloudWatchMetrics[0]!).toMatchObject({ Dimensions: [['service', 'task']], Metrics: [{ Name: 'Good', Unit: 'Count' }, { Name: 'toString', Unit: 'Count' }] });
    expect(record!.task).toBe('regression');
    expect(emfProblems(record!)).toEqual([]);
  });

  it('should be checked by a validator that does catch invalid records', () => {
    const [record] = emfRecords(CONFIG, { strategy: 'average' }, { A: 1 });
    const broken = { ...record!, strategy: undefined, A: Number.NaN, _aws: { ...record!._aws, Timestamp: 1.5 } };
    expect(emfProblems(broken)).toEqual(['Timestamp', 'dimension strategy', 'value A']);
  });

  it('should write nothing when no value is left', () => {
    expect(emfRecords(CONFIG, { strategy: 'average' }, {})).toEqual([]);
    expect(emfRecords(CONFIG, {}, { Nan: Number.NaN })).toEqual([]);
  });
});

describe('metricsConfig (as Powertools Metrics read the environment)', () => {
  it.each([
    [{}, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'true' }, false],
    [{ POWERTOOLS_METRICS_DISABLED: ' YES ' }, false],
    [{ POWERTOOLS_METRICS_DISABLED: '1' }, false],
    [{ POWERTOOLS_METRICS_DISABLED: 'false' }, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'off' }, true],
    [{ POWERTOOLS_DEV: 'true' }, false],
    [{ POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' }, true],
    [{ POWERTOOLS_DEV: 'nonsense' }, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'nonsense' }, true],
  ])('%j: enabled %s', (env, enabled) => {
    expect(metricsConfig(env).enabled).toBe(enabled);
  });

  it('should take the namespace and service from the environment, with the defaults when unset or empty', () => {
    expect(metricsConfig({})).toMatchObject({ namespace: 'LateFusion', service: 'late-fusion' });
    expect(metricsConfig({ POWERTOOLS_METRICS_NAMESPACE: '', POWERTOOLS_SERVICE_NAME: '' })).toMatchObject({ namespace: 'LateFusion', service: 'late-fusion' });
    expect(metricsConfig({ POWERTOOLS_METRICS_NAMESPACE: 'Ns', POWERTOOLS_SERVICE_NAME: 'svc' })).toMatchObject({ namespace: 'Ns', service: 'svc' });
  });
});

describe('emitMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('should write nothing to stdout while metrics are disabled (the suite runs with POWERTOOLS_METRICS_DISABLED=true)', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(metrics.enabled).toBe(false);
    emitMetrics({ strategy: 'average' }, { DecisionsFused: 1 });
    expect(write).not.toHaveBeenCalled();
  });
});
