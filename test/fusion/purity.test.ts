/**
 * The core (functions/fusion) stays pure: no Node built-ins, no AWS SDK, no middy, no Lambda
 * types at run time, so the same code runs in Lambda, the CLI and the browser (the playground).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = resolve(import.meta.dirname, '../../functions/fusion');
const FORBIDDEN = /^(node:|@aws-sdk\/|@smithy\/|@middy\/|aws-lambda$|fs$|path$|crypto$|os$|child_process$)/;
// Every module specifier of a static import or export, a dynamic import() or require().
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The run-time imports of `text` (type-only imports vanish at compile time, so they are allowed). */
function runtimeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    if (/^\s*;?\s*(import|export)\s+type\s/.test(m[0])) continue;
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  }
  return out;
}

describe('the pure core', () => {
  it('should find the imports it looks for (the scanner itself)', () => {
    const text = "import { a } from 'node:fs';\nimport type { B } from '@aws-sdk/client-s3';\nexport { c } from './c.js';\nconst d = await import('node:crypto');\nimport 'side-effect';";
    expect(runtimeImports(text)).toEqual(['node:fs', './c.js', 'node:crypto', 'side-effect']);
  });

  it('should import no Node built-in, AWS SDK, middy or Lambda module at run time', () => {
    const files = sources(CORE);
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((f) => runtimeImports(readFileSync(f, 'utf8')).filter((s) => FORBIDDEN.test(s)).map((s) => `${relative(CORE, f)}: ${s}`));
    expect(offending).toEqual([]);
  });
});
