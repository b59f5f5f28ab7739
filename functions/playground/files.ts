import { fileURLToPath } from 'node:url';

/** The page's sources: index.html, style.css and the TypeScript of the bundle. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
/** Where `build.ts` writes the bundle (git-ignored; `npm ci` fills it). */
export const DIST_DIR = fileURLToPath(new URL('./dist/', import.meta.url));
