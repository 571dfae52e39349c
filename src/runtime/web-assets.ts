import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { WebAssets } from '../app/http/web.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The content type a page file is served with, by its extension; undefined for a kind not served. */
export const contentType = (name: string): string | undefined =>
  Object.hasOwn(TYPES, extname(name)) ? TYPES[extname(name)] : undefined;

/** The page `npm run build` wrote to dir (dist/web), read once; undefined when it was not built. */
export function loadWebAssets(dir: string): WebAssets | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, { type: string; body: Uint8Array<ArrayBuffer> }>();
  for (const name of readdirSync(dir)) {
    const type = contentType(name);
    if (type) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}
