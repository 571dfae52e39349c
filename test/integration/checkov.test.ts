/**
 * checkov (pinned in tools/requirements.txt, installed into .venv by scripts/venv.sh) on the Terraform
 * module terraform/modules/rds: every example must pass every check that applies, the production-like
 * example must pass a substantial, named set of them, and every skip must say why.
 *
 * checkov follows the examples' local module source, so a scan of an example is a scan of the module as
 * that example configures it. Where checkov 3.3.30 cannot evaluate the module (see the "Checkov skips"
 * section of the module README) the test scans the part on its own instead.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkov, describeCheck, type Report } from '../support/checkov.js';
import { ROOT } from '../support/cli.js';

const MODULE_DIR = 'terraform/modules/rds';
const EXAMPLES = ['aurora', 'aurora-serverless', 'instance'] as const;
const PROD_LIKE = 'aurora';
const TIMEOUT = 300_000;

/** The checks the module skips; each is explained beside its resource and in the module README. */
const ALLOWED_SKIPS = ['CKV2_AWS_8', 'CKV2_AWS_27', 'CKV_AWS_109', 'CKV_AWS_111', 'CKV_AWS_356'];

/** One scan per target for the whole file, started on first use. */
const scans = new Map<string, Promise<Report>>();
function scan(kind: '-d' | '-f', path: string): Promise<Report> {
  const key = `${kind} ${path}`;
  let pending = scans.get(key);
  if (!pending) {
    pending = checkov([kind, path]);
    scans.set(key, pending);
  }
  return pending;
}

function expectNoFailures(report: Report, what: string) {
  expect(report.parsingErrors, `${what}: checkov could not parse`).toEqual([]);
  expect(
    report.failed.map(describeCheck),
    `${what}: failed checkov checks:\n${report.failed.map(describeCheck).join('\n')}`,
  ).toEqual([]);
}

function expectReasonedSkips(report: Report, what: string) {
  for (const skip of report.skipped) {
    expect(ALLOWED_SKIPS, `${what}: unexpected skip ${describeCheck(skip)}`).toContain(skip.check_id);
    const reason = skip.check_result?.suppress_comment ?? '';
    expect(reason, `${what}: skip without a reason: ${describeCheck(skip)}`).toMatch(/\w{3,}/);
  }
}

async function terraformFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.tf') && !e.parentPath.includes('.terraform'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

describe('checkov on terraform/modules/rds', () => {
  for (const example of EXAMPLES) {
    it(
      `passes every check that applies to examples/${example}`,
      async () => {
        const what = `examples/${example}`;
        const report = await scan('-d', `${MODULE_DIR}/examples/${example}`);
        expectNoFailures(report, what);
        expectReasonedSkips(report, what);
        // The scan reached the module: not a vacuous pass over the example's provider block alone.
        expect(report.passed.filter((c) => c.resource.startsWith('module.db.')).length).toBeGreaterThan(30);
      },
      TIMEOUT,
    );
  }

  it(
    `passes the RDS, security group, IAM and CloudWatch checks on the production-like examples/${PROD_LIKE}`,
    async () => {
      const report = await scan('-d', `${MODULE_DIR}/examples/${PROD_LIKE}`);
      expect(report.passed.length).toBeGreaterThanOrEqual(50);
      const passed = new Set(report.passed.map((c) => `${c.check_id} ${c.resource.replace(/\[.*$/, '')}`));
      const expected = [
        // Aurora cluster: encryption with the CMK, deletion protection, backups, IAM auth, logs, tags.
        ...['CKV_AWS_96', 'CKV_AWS_327', 'CKV_AWS_139', 'CKV_AWS_133', 'CKV_AWS_162', 'CKV_AWS_324'].map(
          (id) => `${id} module.db.aws_rds_cluster.this`,
        ),
        'CKV_AWS_313 module.db.aws_rds_cluster.this',
        // Cluster instances: private, Enhanced Monitoring, minor upgrades, Performance Insights with the CMK.
        ...['CKV_AWS_17', 'CKV_AWS_118', 'CKV_AWS_226', 'CKV_AWS_353', 'CKV_AWS_354'].map(
          (id) => `${id} module.db.aws_rds_cluster_instance.this`,
        ),
        // Log groups: KMS, retention of at least a year.
        ...['CKV_AWS_158', 'CKV_AWS_66', 'CKV_AWS_338'].map(
          (id) => `${id} module.db.aws_cloudwatch_log_group.this`,
        ),
        // Security group: described, attached, no open ingress or egress.
        ...['CKV_AWS_23', 'CKV2_AWS_5', 'CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260', 'CKV_AWS_382'].map(
          (id) => `${id} module.db.aws_security_group.this`,
        ),
        'CKV_AWS_23 module.db.aws_vpc_security_group_ingress_rule.from_security_group',
        // Enhanced Monitoring role: trust and permissions.
        ...['CKV_AWS_60', 'CKV_AWS_61', 'CKV_AWS_274'].map((id) => `${id} module.db.aws_iam_role.monitoring`),
        'CKV2_AWS_40 module.db.aws_iam_policy_document.monitoring_assume_role',
      ];
      const missing = expected.filter((check) => !passed.has(check));
      expect(missing, `checks that did not pass on examples/${PROD_LIKE}:\n${missing.join('\n')}`).toEqual(
        [],
      );
    },
    TIMEOUT,
  );

  it(
    "passes the KMS checks on the module's own key (kms.tf scanned alone: checkov cannot evaluate kms_key_id == null)",
    async () => {
      const report = await scan('-f', `${MODULE_DIR}/kms.tf`);
      expectNoFailures(report, 'kms.tf');
      expectReasonedSkips(report, 'kms.tf');
      const passed = new Set(report.passed.map((c) => `${c.check_id} ${c.resource}`));
      const expected = ['CKV_AWS_7', 'CKV_AWS_33', 'CKV_AWS_227', 'CKV2_AWS_64'].map(
        (id) => `${id} aws_kms_key.this`,
      );
      const missing = expected.filter((check) => !passed.has(check));
      expect(missing, `KMS checks that did not pass:\n${missing.join('\n')}`).toEqual([]);
    },
    TIMEOUT,
  );

  it('gives a reason with every checkov skip comment under terraform/', async () => {
    const skips: string[] = [];
    const bare: string[] = [];
    for (const file of await terraformFiles('terraform')) {
      const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
      lines.forEach((line, index) => {
        if (!/checkov:skip/i.test(line)) return;
        const where = `${file}:${index + 1}`;
        // #checkov:skip=<ID>:<reason>, the reason a real sentence rather than a word or two.
        const match = /#\s*checkov:skip=(CKV2?_[A-Z0-9]+_\d+):\s*(\S.*)$/.exec(line);
        if (!match || (match[2] ?? '').split(/\s+/).length < 5) bare.push(`${where}: ${line.trim()}`);
        else skips.push(`${match[1]} ${where}`);
      });
    }
    expect(bare, `checkov skips without a reason:\n${bare.join('\n')}`).toEqual([]);
    expect(skips.length).toBeGreaterThan(0);
  });

  it('lists every skip of the module in the "Checkov skips" section of its README', async () => {
    const readme = await readFile(join(ROOT, MODULE_DIR, 'README.md'), 'utf8');
    const section = readme.split(/^## Checkov skips$/m)[1]?.split(/^## /m)[0] ?? '';
    const ids = new Set<string>();
    for (const file of await terraformFiles(MODULE_DIR)) {
      for (const m of (await readFile(join(ROOT, file), 'utf8')).matchAll(
        /checkov:skip=(CKV2?_[A-Z0-9]+_\d+)/g,
      )) {
        if (m[1]) ids.add(m[1]);
      }
    }
    expect([...ids].sort()).toEqual([...ALLOWED_SKIPS].sort());
    const unlisted = [...ids].filter((id) => !section.includes(`\`${id}\``));
    expect(
      unlisted,
      `skips missing from the README's "Checkov skips" section: ${unlisted.join(', ')}`,
    ).toEqual([]);
  });
});
