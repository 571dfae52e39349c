import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/** YAML imported as text, as esbuild's `.yaml=text` loader does for the Lambda bundles. */
const yamlAsText: Plugin = {
  name: 'yaml-as-text',
  load(id) {
    if (!id.endsWith('.yaml')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

export default defineConfig({
  plugins: [yamlAsText],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests start servers and child processes; two workers fit this 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
