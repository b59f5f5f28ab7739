import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLine, readLines } from '../../functions/events/lines.js';

async function linesOf(chunks: (Uint8Array | string)[]): Promise<{ lines: unknown[]; groups: number }> {
  const lines: unknown[] = [];
  let groups = 0;
  for await (const group of readLines(Readable.from(chunks, { objectMode: true }))) {
    groups++;
    lines.push(...group);
  }
  return { lines, groups };
}

/** What readLines must give: every physical line (LF, CRLF and a lone CR end one), and no line after a final break. */
function expectedLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Cuts `bytes` at the given positions (in any order, repeats allowed). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i, all) => bytes.subarray(p, all[i + 1] ?? bytes.length)).filter((b) => b.length);
}

describe('readLines', () => {
  it('should give the same lines however the bytes are cut into chunks, multi-byte characters included', async () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('\n', '\r\n', '\r', '')), { maxLength: 30 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 12 }), async (t, at) => {
        expect((await linesOf(cut(Buffer.from(t), at))).lines).toEqual(expectedLines(t));
      }),
      { numRuns: 200 },
    );
  });

  it('should keep blank lines so that line numbers count every physical line', async () => {
    expect((await linesOf(['a\n\n \r\n\r\nb'])).lines).toEqual(['a', '', ' ', '', 'b']);
  });

  it('should read text chunks as well as bytes', async () => {
    expect((await linesOf(['{"a":', '"é"}\n{"b"', ':2}\n'])).lines).toEqual(['{"a":"é"}', '{"b":2}']);
  });

  it('should join a line longer than many chunks, and yield nothing until its newline arrives', async () => {
    const long = 'x'.repeat(5000);
    const { lines, groups } = await linesOf([...cut(Buffer.from(`${long}\nend`), [1000, 2000, 3000, 4000, 4999])]);
    expect(lines).toEqual([long, 'end']);
    expect(groups).toBe(2);
  });

  it('should yield no group for an empty source', async () => {
    expect(await linesOf([])).toEqual({ lines: [], groups: 0 });
  });
});

describe('parseLine', () => {
  it('should give what JSON.parse gives for any JSON text, short string values and non-Latin-1 text included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        expect(parseLine(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
    expect(parseLine('{"id":"r1","n":[1,2.5,-3e2],"s":"ŝ😀"}')).toEqual({ id: 'r1', n: [1, 2.5, -300], s: 'ŝ😀' });
  });

  it('should throw the SyntaxError JSON.parse throws, with the same message', () => {
    for (const bad of ['{"a":', '', 'x', '{"a":1}}', '[1,]']) {
      let expected: unknown;
      try {
        JSON.parse(bad);
      } catch (e) {
        expected = e;
      }
      expect(() => parseLine(bad)).toThrow(SyntaxError);
      expect(() => parseLine(bad)).toThrow((expected as Error).message);
    }
  });
});
