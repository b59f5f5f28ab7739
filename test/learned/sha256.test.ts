/**
 * The core's SHA-256 (the training data's fingerprint) against Node's OpenSSL digest and the
 * FIPS 180-4 worked examples, around the padding's block boundaries and on multi-byte UTF-8.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/fusion/learned/sha256.js';

const openssl = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sha256', () => {
  it('should give the FIPS 180-4 examples', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('should equal OpenSSL at every length around the block boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      expect(sha256(text), `length ${n}`).toBe(openssl(text));
    }
  });

  it('should hash the UTF-8 bytes of any text, as OpenSSL does', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = ['a', 'é', '€', '😀', '\n', '{"label":"positive"}', '\u0000'];
    for (let i = 0; i < 50; i++) {
      const text = Array.from({ length: next() % 300 }, () => alphabet[next() % alphabet.length]).join('');
      expect(sha256(text)).toBe(openssl(text));
    }
  });

  it('should fingerprint a real training file as OpenSSL does', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync('examples/data/digits-3view/train.jsonl', 'utf8');
    expect(sha256(text)).toBe(openssl(text));
  });
});
