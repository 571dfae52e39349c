import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ROOT } from './cli.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** dist/web: the page `npm run build` wrote, which the web function serves. */
export const WEB_DIR = join(ROOT, 'dist', 'web');

/**
 * The web function as Lambda gets it: built by scripts/build-lambda.mjs as `sam build` builds it (the
 * Makefile's `build-WebFunction`), from the page in dist/web, and its handler imported from the bundle.
 * `remove` deletes the build.
 */
export async function builtWebFunction(): Promise<{ handler: ProxyHandler; remove: () => void }> {
  if (!existsSync(join(WEB_DIR, 'index.html')))
    throw new Error('dist/web is not built: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'rdsp-web-fn-'));
  execFileSync(
    process.execPath,
    [join(ROOT, 'scripts', 'build-lambda.mjs'), '--function', 'WebFunction', '--outdir', dir],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const { handler } = (await import(pathToFileURL(join(dir, 'web.mjs')).href)) as { handler: ProxyHandler };
  return { handler, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
