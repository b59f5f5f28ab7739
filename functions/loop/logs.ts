/**
 * Reading the decision log and the feedback back: from the data bucket, where Firehose writes
 * gzipped JSON lines under `decisions/dt=YYYY-MM-DD/` and `feedback/dt=YYYY-MM-DD/`, or from the
 * local store, where `npm start` writes the same layout as plain files. A line that is not a
 * valid record is counted and skipped; it never stops the read.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { readLines } from '../events/lines.js';
import { DecisionLine } from '../fusion/loop/decision-log.js';
import { Feedback, type FeedbackLine } from '../fusion/loop/feedback.js';
import { PREFIX } from '../layout.js';

/** Where log objects are: their keys under a prefix, and each one's bytes. */
export interface LogSource {
  keys(prefix: string): AsyncIterable<string>;
  open(key: string): Promise<AsyncIterable<Uint8Array>>;
}

/** Log files under a local directory (the local store). */
export function directorySource(dir: string): LogSource {
  return {
    async *keys(prefix) {
      let parts: string[];
      try {
        parts = await readdir(join(dir, prefix));
      } catch {
        return;
      }
      for (const part of parts.sort()) {
        const files = await readdir(join(dir, prefix, part)).catch(() => [] as string[]);
        for (const f of files.sort()) yield `${prefix}${part}/${f}`;
      }
    },
    open: async (key) => createReadStream(join(dir, key)),
  };
}

/** Log objects in a bucket, listed page by page. */
export function bucketSource(client: S3Client, bucket: string, root = ''): LogSource {
  return {
    async *keys(prefix) {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root + prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) yield o.Key.slice(root.length);
        token = page.NextContinuationToken;
      } while (token);
    },
    async open(key) {
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: root + key }));
      return got.Body as Readable;
    },
  };
}

/** Counts of what a read skipped. */
export interface ReadStats {
  files: number;
  lines: number;
  invalid: number;
}

/** The `dt=` date of a key, or undefined. */
function dateOf(key: string): string | undefined {
  return /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(`/${key}`)?.[1];
}

async function* records(source: LogSource, prefix: string, since: Date, stats: ReadStats): AsyncGenerator<unknown> {
  const from = since.toISOString().slice(0, 10);
  for await (const key of source.keys(prefix)) {
    const day = dateOf(key);
    if (!day || day < from) continue;
    stats.files++;
    const raw = await source.open(key);
    const bytes = key.endsWith('.gz') ? Readable.from(raw).pipe(createGunzip()) : raw;
    for await (const group of readLines(bytes))
      for (const line of group) {
        if (!line.trim()) continue;
        stats.lines++;
        try {
          yield JSON.parse(line);
        } catch {
          stats.invalid++;
        }
      }
  }
}

/** Decision lines logged on or after `since` (by partition date). */
export async function* readDecisions(source: LogSource, since: Date, stats: ReadStats): AsyncGenerator<DecisionLine> {
  for await (const r of records(source, PREFIX.decisions, since, stats)) {
    const parsed = DecisionLine.safeParse(r);
    if (parsed.success) yield parsed.data;
    else stats.invalid++;
  }
}

/** Feedback lines received on or after `since`. */
export async function* readFeedback(source: LogSource, since: Date, stats: ReadStats): AsyncGenerator<FeedbackLine> {
  for await (const r of records(source, PREFIX.feedback, since, stats)) {
    const { type, receivedAt, ...rest } = (r ?? {}) as Record<string, unknown>;
    const parsed = Feedback.safeParse(rest);
    if (type === 'feedback' && typeof receivedAt === 'string' && parsed.success) yield { ...parsed.data, type, receivedAt, source: parsed.data.source ?? 'default' };
    else stats.invalid++;
  }
}

/** `7d`, `12h` or a date (`2026-11-24`) as the start of a period ending now. */
export function sinceDate(text: string, now = new Date()): Date | undefined {
  const rel = /^(\d{1,4})([dh])$/.exec(text);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000));
  const abs = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : undefined;
  return abs && !Number.isNaN(abs.getTime()) ? abs : undefined;
}
