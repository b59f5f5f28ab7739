/**
 * Bundles the playground page (`page/app.ts` with the pure core it imports) for the browser
 * into `dist/app.js`. `npm ci` runs it (the `prepare` script), so does `npm run build:playground`;
 * the browser tests run it before they start. A `node:` import reaching the core fails the build.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_DIR, PAGE_DIR } from './files.js';

/** Writes `<outdir>/app.js` and returns its size in bytes. */
export async function buildPlayground(outdir = DIST_DIR): Promise<number> {
  const result = await build({
    entryPoints: [join(PAGE_DIR, 'app.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
  });
  return Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildPlayground();
  console.log(`playground: wrote ${join(DIST_DIR, 'app.js')} (${Math.round(bytes / 1024)} KiB)`);
}
