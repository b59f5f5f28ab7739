/**
 * Answers carry a `decisionId` the core does not produce: tests comparing an adapter's answer
 * with the core's (or a join's with a synchronous one) compare without it, and check the ids apart.
 */
import { vi } from 'vitest';
import { DecisionLine } from '../../functions/fusion/loop/decision-log.js';

/** The answer (single or batch, parsed JSON) without its `decisionId` fields, and those ids in order. */
export function withoutDecisionIds(answer: unknown): { answer: unknown; ids: unknown[] } {
  const ids: unknown[] = [];
  const strip = (r: unknown) => {
    if (typeof r !== 'object' || r === null || !('decisionId' in r)) return r;
    const { decisionId, ...rest } = r as Record<string, unknown>;
    ids.push(decisionId);
    return rest;
  };
  if (typeof answer === 'object' && answer !== null && Array.isArray((answer as { results?: unknown }).results)) {
    const a = answer as { results: unknown[] };
    return { answer: { ...a, results: a.results.map(strip) }, ids };
  }
  return { answer: strip(answer), ids };
}

/** Runs `fn` with stdout captured; its result and the decision lines written meanwhile. */
export async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; lines: DecisionLine[] }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    const result = await fn();
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{"type":"decision"'))
      .map((l) => DecisionLine.parse(JSON.parse(l)));
    return { result, lines };
  } finally {
    spy.mockRestore();
  }
}
