/**
 * One `fusion profiles promote NAME --canary` against the local store, in its own process, for
 * the race test (test/cli/promote-race.test.ts): it reads the profile, prints "ready" and waits
 * for a line on stdin before its write, so that the test can make two promotions write at once.
 * It prints one JSON line: `{"won": true, "result"}` or `{"won": false, "problem"}`.
 * Usage: node --import tsx test/support/promote-worker.ts STORE_DIR NAME
 */
import { once } from 'node:events';
import { localSlot, promote } from '../../functions/cli/promote.js';
import { toProblem } from '../../functions/fusion/problem.js';
import { DirectoryStore } from '../../functions/store/index.js';
import { FusionError } from '../../functions/fusion/errors.js';

const [dir, name] = process.argv.slice(2) as [string, string];
const store = new DirectoryStore(dir);
const slot = localSlot(store, name);
const gated = {
  ...slot,
  async write(...args: Parameters<typeof slot.write>) {
    process.stdout.write('ready\n');
    await once(process.stdin, 'data');
    return slot.write(...args);
  },
};
try {
  process.stdout.write(`${JSON.stringify({ won: true, result: await promote(gated, store, name) })}\n`);
} catch (e) {
  if (!(e instanceof FusionError)) throw e;
  process.stdout.write(`${JSON.stringify({ won: false, problem: toProblem(e) })}\n`);
}
process.stdin.destroy();
