/**
 * Every .tf, .tfvars and .hcl file under terraform/ (the module, its examples, the single root's files in
 * terraform/layouts/single-root, the shared backend settings terraform/live/backend.hcl) is valid HCL by
 * HashiCorp's own parser and is already laid out as `terraform fmt` would write it. The roots the service
 * writes into terraform/live are proven in generated-roots.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatHcl, lineDiff, listTfFiles, parseHcl, terraformFmtRewrites } from '../support/hcl.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const terraformDir = resolve(root, 'terraform');
const files = (await listTfFiles(terraformDir)).map((f) => relative(root, f));
// Variable files and -backend-config files are HCL too, and terraform fmt formats them as well.
const otherHclFiles = (await listTfFiles(terraformDir, ['.tfvars', '.hcl'])).map((f) => relative(root, f));

describe('terraform/**/*.tf, *.tfvars and *.hcl', () => {
  it('finds the Terraform files: the module, the single root and the shared backend settings among them', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files).toContain('terraform/modules/rds/main.tf');
    expect(files).toContain('terraform/layouts/single-root/providers.tf');
    expect(otherHclFiles).toContain('terraform/layouts/single-root/networks.auto.tfvars');
    expect(otherHclFiles).toContain('terraform/live/backend.hcl');
  });

  for (const file of [...files, ...otherHclFiles]) {
    describe(file, () => {
      it('parses', async () => {
        const text = await readFile(resolve(root, file), 'utf8');
        const parsed = await parseHcl(file, text);
        expect(typeof parsed).toBe('object');
      });

      it('is formatted as terraform fmt writes it', async () => {
        const text = await readFile(resolve(root, file), 'utf8');
        const formatted = await formatHcl(text);
        if (formatted !== text) {
          expect.fail(
            `${file} is not terraform fmt clean (- as written, + as formatted):\n${lineDiff(text, formatted)}`,
          );
        }
        const rewrites = terraformFmtRewrites(text);
        if (rewrites.length > 0) {
          expect.fail(
            `${file}: terraform fmt would also rewrite:\n${rewrites.map((r) => `  line ${r.line}: ${r.message}`).join('\n')}`,
          );
        }
      });
    });
  }
});

describe('the helpers behind these checks', () => {
  it('parseHcl reports syntax errors with the file name and position', async () => {
    await expect(parseHcl('broken.tf', 'resource "a" "b" {\n  x = \n}\n')).rejects.toThrow(
      /broken\.tf:2,\d+-\d+,\d+: /,
    );
    await expect(parseHcl('unclosed.tf', 'locals {\n  x = 1\n')).rejects.toThrow(
      /unclosed\.tf:1,\d+-\d+: Unclosed/,
    );
  });

  it('formatHcl aligns as terraform fmt does, and leaves formatted text alone', async () => {
    const messy = 'resource "a" "b" {\n    name = "x"\n  engine_version = "1"\n}\n';
    const clean = 'resource "a" "b" {\n  name           = "x"\n  engine_version = "1"\n}\n';
    expect(await formatHcl(messy)).toBe(clean);
    expect(await formatHcl(clean)).toBe(clean);
  });

  it('lineDiff shows what changed, with context', () => {
    const diff = lineDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\n', 1);
    expect(diff).toBe('@@ line 1 @@\n  a\n- b\n+ B\n  c');
  });

  it('terraformFmtRewrites finds interpolation-only values and quoted variable types, not heredocs', () => {
    const text = [
      'variable "v" {',
      '  type = "string"',
      '}',
      'locals {',
      `  a = "\${var.v}"`,
      `  b = "\${var.v}-suffix"`,
      '  c = <<-EOT',
      `    x = "\${var.v}"`,
      '  EOT',
      '  type = "string"',
      '}',
      '',
    ].join('\n');
    expect(terraformFmtRewrites(text).map((r) => r.line)).toEqual([2, 5]);
  });
});
