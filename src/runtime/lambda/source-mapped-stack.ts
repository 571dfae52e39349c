import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces that name the source files, without NODE_OPTIONS=--enable-source-maps: that flag makes
 * Node read and parse every module's source map as it loads it, on every cold start (BENCHMARKS.md,
 * section 5), to use them only when an error's stack is printed. Here a map is read when an error
 * escapes a handler (lazy-handler.ts), for the files its stack names: the Lambda runtime then logs
 * `src/app/http/app.ts:158:7` where the bundle's position would say `chunks/api-handler-….mjs:1:90993`.
 */

const maps = new Map<string, SourceMap | undefined>();

function mapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
    } catch {
      map = undefined; // no map beside the file (or not a bundle): the position stays as it is
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** A bundle's position: `file:///var/task/chunks/x.mjs:LINE:COLUMN` (1-based, as V8 prints them). */
const POSITION = /(file:\/\/[^\s()]+?\.mjs):(\d+):(\d+)/g;

/** The stack with each bundle position replaced by its source's (`src/…/file.ts:LINE:COLUMN`). */
export function sourceMappedStack(stack: string): string {
  return stack.replace(POSITION, (position, url: string, line: string, column: string) => {
    const entry = mapOf(url)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return position;
    // The map names sources relative to the bundle's directory: keep the project's own path.
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
