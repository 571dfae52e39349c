#!/usr/bin/env node
/**
 * Keeps a Terraform module README's Inputs and Outputs tables true to the code: reads variables.tf and
 * outputs.tf with HashiCorp's HCL parser (@cdktf/hcl2json) and rewrites what stands between the markers
 *
 *   <!-- BEGIN_INPUTS -->  ...  <!-- END_INPUTS -->
 *   <!-- BEGIN_OUTPUTS --> ...  <!-- END_OUTPUTS -->
 *
 *   node scripts/module-readme.mjs [MODULE_DIR]           # rewrite MODULE_DIR/README.md
 *   node scripts/module-readme.mjs [MODULE_DIR] --check   # exit 1 if the README is out of date
 *
 * MODULE_DIR defaults to terraform/modules/rds. Inputs are listed in the order variables.tf declares them,
 * outputs in the order of outputs.tf.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { parse } = require('@cdktf/hcl2json');

/**
 * `${expr}` as hcl2json writes a non-literal expression -> `expr` on one line: the lines of a multi-line
 * object type become comma-separated attributes.
 */
function expression(value) {
  const text =
    typeof value === 'string' && value.startsWith('${') && value.endsWith('}') ? value.slice(2, -1) : value;
  const lines = String(text)
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '');
  return lines.reduce((joined, line) => {
    const glue = /[({[]$/.test(joined) || /^[)}\]]/.test(line) ? ' ' : ', ';
    return `${joined}${glue}${line}`;
  });
}

/** A default value as HCL would spell it. */
function hclValue(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return value.startsWith('${') ? expression(value) : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(hclValue).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${k} = ${hclValue(v)}`);
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return String(value);
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Names in declaration order: hcl2json sorts keys, so take the order from the source text. */
function declarationOrder(source, kind) {
  return [...source.matchAll(new RegExp(`^${kind}\\s+"([^"]+)"`, 'gm'))].map((m) => m[1]);
}

export async function renderTables(moduleDir) {
  const variablesSource = readFileSync(join(moduleDir, 'variables.tf'), 'utf8');
  const outputsSource = readFileSync(join(moduleDir, 'outputs.tf'), 'utf8');
  const variables = (await parse('variables.tf', variablesSource)).variable ?? {};
  const outputs = (await parse('outputs.tf', outputsSource)).output ?? {};

  const inputRows = declarationOrder(variablesSource, 'variable').map((name) => {
    const v = variables[name][0];
    const required = !Object.hasOwn(v, 'default');
    const type = v.type === undefined ? 'any' : expression(v.type);
    const def = required ? 'n/a' : hclValue(v.default);
    return `| ${name} | ${cell(v.description ?? '')} | \`${cell(type)}\` | ${required ? 'n/a' : `\`${cell(def)}\``} | ${required ? 'yes' : 'no'} |`;
  });
  const outputRows = declarationOrder(outputsSource, 'output').map(
    (name) => `| ${name} | ${cell(outputs[name][0].description ?? '')} |`,
  );
  return {
    inputs: [
      '| Name | Description | Type | Default | Required |',
      '|---|---|---|---|:---:|',
      ...inputRows,
    ].join('\n'),
    outputs: ['| Name | Description |', '|---|---|', ...outputRows].join('\n'),
  };
}

function replaceBetween(text, begin, end, body) {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README lacks the markers ${begin} ... ${end}`);
  return `${text.slice(0, start + begin.length)}\n${body}\n${text.slice(stop)}`;
}

export async function renderReadme(moduleDir) {
  const readme = readFileSync(join(moduleDir, 'README.md'), 'utf8');
  const tables = await renderTables(moduleDir);
  let next = replaceBetween(readme, '<!-- BEGIN_INPUTS -->', '<!-- END_INPUTS -->', tables.inputs);
  next = replaceBetween(next, '<!-- BEGIN_OUTPUTS -->', '<!-- END_OUTPUTS -->', tables.outputs);
  return { current: readme, next };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const moduleDir = resolve(root, args.find((a) => !a.startsWith('--')) ?? 'terraform/modules/rds');
  const { current, next } = await renderReadme(moduleDir);
  if (check) {
    if (current !== next) {
      console.error(`${join(moduleDir, 'README.md')} is out of date: run node scripts/module-readme.mjs`);
      process.exit(1);
    }
    console.log('README tables match variables.tf and outputs.tf');
  } else if (current !== next) {
    writeFileSync(join(moduleDir, 'README.md'), next);
    console.log(`updated ${join(moduleDir, 'README.md')}`);
  } else {
    console.log('README already up to date');
  }
}
