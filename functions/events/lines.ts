import type { Writable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { positiveInt } from '../limits.js';

/**
 * Read size for batch files. Small reads keep little alive between garbage collections (in our
 * measurements 16 KiB gave lower and steadier peak memory than 64 or 256 KiB, at the same speed).
 */
export const READ_CHUNK_BYTES = 16 * 1024;

/** Default of `FUSION_MAX_LINE_BYTES`: the longest line a batch file may have (1 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * `FUSION_MAX_LINE_BYTES` from `env` (default 1 MiB): a whole number of bytes >= 1, else a
 * configuration error naming the setting.
 */
export function maxLineBytes(env: NodeJS.ProcessEnv): number {
  return positiveInt(env, 'FUSION_MAX_LINE_BYTES', DEFAULT_MAX_LINE_BYTES);
}

/**
 * A line that cannot be read as text: longer than the limit (its bytes were counted, never
 * kept) or not valid UTF-8. The batch reports it as an error record and goes on.
 */
export class LineFault {
  constructor(
    readonly kind: 'line-too-long' | 'invalid-utf8',
    /** The line's length in bytes, without its line break. */
    readonly bytes: number,
    /** The limit in force (for `line-too-long`). */
    readonly limit: number,
  ) {}
}

/** One line of a batch file: its text, or why it has none. */
export type Line = string | LineFault;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte or text stream into lines, yielded in groups (one group per chunk read) so the
 * consumer can work synchronously through a chunk. A line ends at LF, CRLF or a lone CR (a CRLF
 * cut between two chunks is still one break); a last line needs no break. A UTF-8 byte-order
 * mark at the start is dropped. A line longer than `maxLineBytes` (default 1 MiB) is a
 * `LineFault` whose bytes are counted and dropped as they arrive, and a line that is not valid
 * UTF-8 is one too (never decoded with U+FFFD replacements). Memory is bounded by the chunk size
 * plus `maxLineBytes`, whatever the file holds; the source is only pulled as fast as the
 * consumer asks.
 *
 * A group decodes its lines one at a time, as it is iterated (once, fully: the reader's state
 * advances with it), from the chunk's bytes, so no chunk-sized string stays alive while the
 * lines are worked on. This matters on long runs: each young-generation GC copies what is alive,
 * and V8 doubles the young generation once those copies add up to its size (a chunk string
 * alive per GC doubled it after about 2M lines). Splitting on CR and LF bytes is safe: they never
 * occur inside a multi-byte UTF-8 character.
 */
export async function* readLines(source: AsyncIterable<Uint8Array | string>, options: { maxLineBytes?: number } = {}): AsyncGenerator<Iterable<Line>> {
  const reader = new LineReader(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length === 0) continue;
    const lf = bytes.indexOf(LF);
    const cr = bytes.indexOf(CR);
    if (lf < 0 && cr < 0) reader.hold(bytes, 0);
    else yield reader.lines(bytes, lf, cr);
  }
  if (reader.pending) yield reader.rest();
}

/** The state between chunks: the start of the line being read, or the count of a line being skipped. */
class LineReader {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;
  /** The previous chunk ended with CR: a LF starting this one belongs to that break. */
  private afterCR = false;
  private first = true;

  constructor(private readonly max: number) {}

  /** Whether a line without a break is left at the end of the input. */
  get pending(): boolean {
    return this.skipping || this.held > 0;
  }

  /** Keeps `bytes[start..]`, the beginning of a line, or only counts it once the line is too long. */
  hold(bytes: Buffer, start: number): void {
    if (this.afterCR && bytes[start] === LF) start++;
    this.afterCR = false;
    const n = bytes.length - start;
    if (n === 0) return;
    this.held += n;
    if (this.skipping) return;
    if (this.held > this.max) {
      this.skipping = true;
      this.parts = [];
    } else this.parts.push(Buffer.from(bytes.subarray(start)));
  }

  /** The lines a chunk completes; `lf` and `cr` are the first positions of each byte (or -1). */
  *lines(bytes: Buffer, lf: number, cr: number): Generator<Line> {
    let start = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (bytes[0] === LF) start = 1;
    }
    for (;;) {
      if (lf >= 0 && lf < start) lf = bytes.indexOf(LF, start);
      if (cr >= 0 && cr < start) cr = bytes.indexOf(CR, start);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      yield this.line(bytes, start, end);
      start = end + 1;
      if (end === cr) {
        if (start === bytes.length) this.afterCR = true;
        else if (bytes[start] === LF) start++;
      }
    }
    if (start < bytes.length) this.hold(bytes, start);
  }

  /** The last line, which had no line break. */
  *rest(): Generator<Line> {
    yield this.line(Buffer.alloc(0), 0, 0);
  }

  private line(bytes: Buffer, start: number, end: number): Line {
    const size = this.held + end - start;
    const first = this.first;
    this.first = false;
    let line: Buffer = bytes;
    if (this.skipping || size > this.max) {
      this.reset();
      return new LineFault('line-too-long', size, this.max);
    }
    if (this.held) {
      line = Buffer.concat([...this.parts, bytes.subarray(start, end)], size);
      start = 0;
      end = size;
      this.reset();
    }
    if (first && end - start >= 3 && line[start] === 0xef && line[start + 1] === 0xbb && line[start + 2] === 0xbf) start += 3;
    if (!isUtf8(line.subarray(start, end))) return new LineFault('invalid-utf8', end - start, this.max);
    return line.toString('utf8', start, end);
  }

  private reset(): void {
    this.parts = [];
    this.held = 0;
    this.skipping = false;
  }
}

/**
 * `JSON.parse` for one line of a long file, keeping memory flat. From one-byte (Latin-1) text, V8
 * internalizes every string value shorter than 10 characters: it is allocated in the old
 * generation and entered in the process-wide string table, and only a full GC frees it. Unique
 * short values such as ids ("r1" to "r999999") then grow the old generation and the string table
 * line after line (about 45 MiB of RSS over 1M lines). Parsed from a two-byte copy of the line,
 * those values are ordinary short-lived strings (keys, which repeat, are still internalized).
 */
export function parseLine(text: string): unknown {
  return JSON.parse(`\u0100${text}`.slice(1));
}

/** Where JSONL text goes: `write` resolves once the destination can take more (backpressure). */
export interface Sink {
  write(text: string): Promise<void> | void;
}

/** A sink over a node Writable that waits for `drain` whenever the writable's buffer is full. */
export function writableSink(w: Writable): Sink & { end(): Promise<void> } {
  return {
    async write(text) {
      if (!w.write(text)) await once(w, 'drain');
    },
    async end() {
      if (w.writableFinished) return;
      const done = once(w, 'finish');
      w.end();
      await done;
    },
  };
}
