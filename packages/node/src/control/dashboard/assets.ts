// The dashboard page's static files: plain ES modules and CSS in packages/node/dashboard/,
// read once from disk (a few tens of kB) and served from memory. No build step, no CDN: what
// is in the repository is what the browser runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** packages/node/dashboard/, from both src/control/dashboard (tests) and dist/control/dashboard (built). */
export const ASSET_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** File names the page may ask for (no paths, so no traversal). */
export const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Every asset in `dir`, by file name; empty when the folder is missing (reported on GET /). */
export function loadAssets(dir = ASSET_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const m = ASSET_NAME.exec(name);
    if (!m) continue;
    out.set(name, { type: TYPES[m[1] as string] as string, body: readFileSync(`${dir}/${name}`) });
  }
  return out;
}

/**
 * The page talks to other nodes' admin ports after a failover (EventSource and the actions),
 * so connect-src allows any http(s) origin; scripts and styles come from this node only.
 */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
