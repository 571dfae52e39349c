import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

describe('terraform/modules/rds/README.md', () => {
  it('has Inputs and Outputs tables that match variables.tf and outputs.tf', () => {
    const run = spawnSync(
      process.execPath,
      ['scripts/module-readme.mjs', 'terraform/modules/rds', '--check'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.stderr, 'regenerate with: npm run docs:module').toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('README tables match');
  });
});
