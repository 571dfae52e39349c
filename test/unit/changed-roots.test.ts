import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChangedRoots,
  changedRoots,
  directoriesToList,
  type PathChange,
  type Root,
} from '../../src/domain/changed-roots.js';
import { LAYOUT_DEFAULTS } from '../../src/domain/layout.js';

const PER_DB = LAYOUT_DEFAULTS['per-database'];
const SINGLE = LAYOUT_DEFAULTS['single-root'];

const root = (environment: string, dbName: string): Root => ({
  root: `terraform/live/${environment}/${dbName}`,
  environment,
  dbName,
});
const main = (environment: string, dbName: string) => `terraform/live/${environment}/${dbName}/main.tf`;
const added = (path: string): PathChange => ({ status: 'added', path });
const modified = (path: string): PathChange => ({ status: 'modified', path });
const deleted = (path: string): PathChange => ({ status: 'deleted', path });
const renamed = (from: string, path: string): PathChange => ({ status: 'renamed', from, path });

/** The repository at the head: every root's main.tf, plus the shared files. */
const HEAD = [
  'terraform/live/README.md',
  'terraform/live/backend.hcl',
  main('dev', 'orders'),
  `terraform/live/dev/orders/.terraform.lock.hcl`,
  main('dev', 'billing'),
  main('prod', 'orders-archive'),
  main('prod', 'payments'),
  'terraform/modules/rds/main.tf',
];
/** The head without a root's directory: the database removed whole. */
const withoutRoot = (environment: string, dbName: string) =>
  HEAD.filter((p) => !p.startsWith(`terraform/live/${environment}/${dbName}/`));
const perDb = (changes: PathChange[], head: readonly string[] = HEAD) => changedRoots(changes, PER_DB, head);
const none: ChangedRoots = { plan: [], destroy: [], everything: false, problems: [] };

describe('changedRoots, a root per database', () => {
  it('plans an added root', () => {
    expect(perDb([added(main('dev', 'billing'))])).toEqual({ ...none, plan: [root('dev', 'billing')] });
  });

  it('plans a modified root, once however many of its files change', () => {
    expect(
      perDb([modified(main('dev', 'orders')), added('terraform/live/dev/orders/.terraform.lock.hcl')]),
    ).toEqual({ ...none, plan: [root('dev', 'orders')] });
  });

  it('destroys a root only when its main file is gone at the head', () => {
    const head = withoutRoot('dev', 'orders');
    expect(
      perDb([deleted(main('dev', 'orders')), deleted('terraform/live/dev/orders/.terraform.lock.hcl')], head),
    ).toEqual({ ...none, destroy: [root('dev', 'orders')] });
  });

  it('refuses a root whose main file is gone but other files stay: remove the directory whole', () => {
    const lockLeft = HEAD.filter((p) => p !== main('dev', 'orders'));
    expect(perDb([deleted(main('dev', 'orders'))], lockLeft)).toEqual({
      ...none,
      destroy: [root('dev', 'orders')],
      problems: [
        'terraform/live/dev/orders has no main.tf at the head but still holds terraform/live/dev/orders/.terraform.lock.hcl: remove the directory whole',
      ],
    });
  });

  it('plans a root when another of its files is deleted and its main file stays', () => {
    expect(perDb([deleted('terraform/live/dev/orders/.terraform.lock.hcl')])).toEqual({
      ...none,
      plan: [root('dev', 'orders')],
    });
  });

  it('plans a rename within a root', () => {
    const head = [...HEAD, 'terraform/live/dev/orders/notes/README.md'];
    expect(
      perDb(
        [renamed('terraform/live/dev/orders/README.md', 'terraform/live/dev/orders/notes/README.md')],
        head,
      ),
    ).toEqual({ ...none, plan: [root('dev', 'orders')] });
  });

  it("refuses a database's main file renamed to another database", () => {
    const head = withoutRoot('dev', 'orders').concat(main('dev', 'sales'));
    const result = perDb([renamed(main('dev', 'orders'), main('dev', 'sales'))], head);
    expect(result.problems).toEqual([
      'terraform/live/dev/orders/main.tf is renamed to terraform/live/dev/sales/main.tf: that would destroy orders and create sales; a database keeps its name',
    ]);
  });

  it('treats another file moved between two roots as a change to both, not a rename of a database', () => {
    const head = [...HEAD, 'terraform/live/dev/billing/notes.md'];
    expect(
      perDb([renamed('terraform/live/dev/orders/notes.md', 'terraform/live/dev/billing/notes.md')], head),
    ).toEqual({
      ...none,
      plan: [root('dev', 'billing'), root('dev', 'orders')],
    });
  });

  it('refuses a database moving environment, as a git rename and as a delete and an add', () => {
    const head = withoutRoot('dev', 'orders').concat(main('prod', 'orders'));
    const message =
      'orders cannot move from dev to prod (terraform/live/dev/orders/main.tf to terraform/live/prod/orders/main.tf): a database stays in its environment; retire it and request it in prod';
    expect(perDb([renamed(main('dev', 'orders'), main('prod', 'orders'))], head).problems).toEqual([message]);
    const asTwo = perDb([deleted(main('dev', 'orders')), added(main('prod', 'orders'))], head);
    expect(asTwo.problems).toEqual([
      'orders cannot move from dev to prod (terraform/live/dev/orders to terraform/live/prod/orders): a database stays in its environment; retire it and request it in prod',
    ]);
  });

  it('is not fooled into a move by a same-named root that already existed and merely changed', () => {
    // Legacy: orders in dev and in prod. Retiring dev's while prod's changes is no move.
    const head = withoutRoot('dev', 'orders').concat(main('prod', 'orders'));
    expect(perDb([deleted(main('dev', 'orders')), modified(main('prod', 'orders'))], head)).toEqual({
      ...none,
      plan: [root('prod', 'orders')],
      destroy: [root('dev', 'orders')],
    });
  });

  it('plans every root at the head when the module or the shared backend file changes', () => {
    const everyRoot = [
      root('dev', 'billing'),
      root('dev', 'orders'),
      root('prod', 'orders-archive'),
      root('prod', 'payments'),
    ];
    for (const change of [modified('terraform/modules/rds/main.tf'), modified('terraform/live/backend.hcl')])
      expect(perDb([change])).toEqual({ ...none, everything: true, plan: everyRoot });
    // A root removed in the same change is still destroyed, never planned.
    const head = HEAD.filter((p) => p !== main('prod', 'payments'));
    expect(
      perDb([modified('terraform/modules/rds/variables.tf'), deleted(main('prod', 'payments'))], head),
    ).toEqual({
      ...none,
      everything: true,
      plan: everyRoot.slice(0, 3),
      destroy: [root('prod', 'payments')],
    });
  });

  it('refuses stray Terraform files added or changed outside a root', () => {
    expect(
      perDb([added('terraform/live/orders.tf'), modified('terraform/live/dev/loose.tfvars')]).problems,
    ).toEqual([
      "terraform/live/dev/loose.tfvars is not inside a database's root (terraform/live/{environment}/{db_name}); no pipeline runs it",
      "terraform/live/orders.tf is not inside a database's root (terraform/live/{environment}/{db_name}); no pipeline runs it",
    ]);
  });

  it('lets a stray file be deleted: the migration from the single root removes terraform/live/orders.tf', () => {
    expect(perDb([deleted('terraform/live/orders.tf'), deleted('terraform/live/providers.tf')])).toEqual(
      none,
    );
    // git may pair the old file with the new root as a rename.
    expect(perDb([renamed('terraform/live/orders.tf', main('dev', 'orders'))])).toEqual({
      ...none,
      plan: [root('dev', 'orders')],
    });
  });

  it('refuses files left in a root without its main file', () => {
    const head = [...HEAD, 'terraform/live/dev/ghost/extra.tf'];
    expect(perDb([added('terraform/live/dev/ghost/extra.tf')], head).problems).toEqual([
      'terraform/live/dev/ghost/extra.tf is in terraform/live/dev/ghost, which has no main.tf: remove the directory whole',
    ]);
  });

  it('ignores unrelated files', () => {
    expect(
      perDb([
        modified('README.md'),
        modified('terraform/live/README.md'),
        added('src/app/x.ts'),
        deleted('terraform/layouts/single-root/providers.tf'),
      ]),
    ).toEqual(none);
  });

  it('gives the same answer in the same order whatever order the changes come in', () => {
    const head = HEAD.filter((p) => p !== main('prod', 'payments')).concat('terraform/live/dev/zeta/main.tf');
    const changes = [
      modified(main('dev', 'orders')),
      added('terraform/live/dev/zeta/main.tf'),
      deleted(main('prod', 'payments')),
      modified(main('dev', 'billing')),
      added('terraform/live/stray-b.tf'),
      added('terraform/live/stray-a.tf'),
    ];
    const expected = perDb(changes, head);
    expect(expected.plan.map((r) => r.root)).toEqual([
      'terraform/live/dev/billing',
      'terraform/live/dev/orders',
      'terraform/live/dev/zeta',
    ]);
    fc.assert(
      fc.property(fc.shuffledSubarray(changes, { minLength: changes.length }), (shuffled) => {
        expect(perDb(shuffled, [...head].reverse())).toEqual(expected);
      }),
    );
  });
});

describe('changedRoots with the configured environments', () => {
  const ENVS = ['dev', 'staging', 'prod'];
  it('refuses a root in an environment the policy does not configure: no account, no approval rule', () => {
    const head = [...HEAD, main('qa', 'orders2')];
    expect(
      changedRoots([added(main('qa', 'orders2')), modified(main('dev', 'orders'))], PER_DB, head, ENVS),
    ).toEqual({
      ...none,
      plan: [root('dev', 'orders'), root('qa', 'orders2')],
      problems: [
        'terraform/live/qa/orders2 is in environment qa, which the policy does not configure (dev, staging, prod): no account to run it in and no rule for whether it waits for approval',
      ],
    });
    // Also when everything is planned, and when such a root is removed.
    expect(changedRoots([modified('terraform/live/backend.hcl')], PER_DB, head, ENVS).problems).toHaveLength(
      1,
    );
    expect(changedRoots([deleted(main('qa', 'gone'))], PER_DB, HEAD, ENVS).problems).toEqual([
      'terraform/live/qa/gone is in environment qa, which the policy does not configure (dev, staging, prod): no account to run it in and no rule for whether it waits for approval',
    ]);
    expect(changedRoots([modified(main('dev', 'orders'))], PER_DB, HEAD, ENVS).problems).toEqual([]);
  });
});

describe('changedRoots, the single root', () => {
  const plan = [{ root: 'terraform/live', environment: null, dbName: null }];
  it('plans the one root when a database file, its own files or the module change', () => {
    for (const change of [
      added('terraform/live/orders.tf'),
      deleted('terraform/live/orders.tf'),
      modified('terraform/live/providers.tf'),
      modified('terraform/modules/rds/main.tf'),
      renamed('terraform/live/orders.tf', 'docs/orders.tf'),
    ])
      expect(changedRoots([change], SINGLE, [])).toEqual({ ...none, everything: true, plan });
  });

  it('plans nothing for unrelated changes and never destroys the root', () => {
    expect(changedRoots([modified('README.md'), added('terraform/live/README.md')], SINGLE, [])).toEqual(
      none,
    );
  });
});

/** For properties: six roots in two environments, each with a main file and a lock file, and changes to them. */
const FLEET_FILES = ['dev', 'prod'].flatMap((e) =>
  ['a', 'b', 'c'].flatMap((n) => [
    `terraform/live/${e}/${n}/main.tf`,
    `terraform/live/${e}/${n}/.terraform.lock.hcl`,
  ]),
);
const anyPath = fc.constantFrom(
  ...FLEET_FILES,
  'terraform/live/backend.hcl',
  'terraform/modules/rds/main.tf',
  'terraform/live/x.tf',
  'README.md',
);
const anyChange = fc.oneof(
  fc.record({ status: fc.constantFrom('added', 'modified', 'deleted'), path: anyPath }),
  fc.record({ status: fc.constant('renamed'), from: anyPath, path: anyPath }),
) as fc.Arbitrary<PathChange>;

describe('changedRoots properties', () => {
  it('plans only roots with a main file at the head, destroys only roots without one, never both', () => {
    fc.assert(
      fc.property(fc.array(anyChange, { maxLength: 8 }), fc.subarray(FLEET_FILES), (changes, head) => {
        const result = changedRoots(changes, PER_DB, head);
        const alive = new Set(
          head.filter((p) => p.endsWith('/main.tf')).map((p) => p.slice(0, -'/main.tf'.length)),
        );
        for (const r of result.plan) expect(alive.has(r.root)).toBe(true);
        for (const r of result.destroy) expect(alive.has(r.root)).toBe(false);
        const planned = new Set(result.plan.map((r) => r.root));
        for (const r of result.destroy) expect(planned.has(r.root)).toBe(false);
        if (result.everything) expect(result.plan.map((r) => r.root)).toEqual([...alive].sort());
        const sorted = (list: Root[]) => [...list].sort((x, y) => (x.root < y.root ? -1 : 1));
        expect(result.plan).toEqual(sorted(result.plan));
        expect(result.destroy).toEqual(sorted(result.destroy));
      }),
      { numRuns: 500 },
    );
  });
});

describe('directoriesToList: what to read at the head, so a large fleet costs a small change little', () => {
  it("lists only the touched roots' directories, both sides of a rename", () => {
    expect(
      directoriesToList(
        [
          modified(main('dev', 'orders')),
          added('terraform/live/dev/orders/.terraform.lock.hcl'),
          deleted(main('prod', 'payments')),
          renamed('terraform/live/dev/a/notes.md', 'terraform/live/dev/b/notes.md'),
          added('terraform/live/stray.tf'),
          modified('README.md'),
        ],
        PER_DB,
      ),
    ).toEqual([
      'terraform/live/dev/a',
      'terraform/live/dev/b',
      'terraform/live/dev/orders',
      'terraform/live/prod/payments',
    ]);
    expect(directoriesToList([modified('README.md')], PER_DB)).toEqual([]);
  });

  it('lists the whole layout directory when a shared file changes, and nothing for the single root', () => {
    expect(
      directoriesToList([modified(main('dev', 'orders')), modified('terraform/live/backend.hcl')], PER_DB),
    ).toEqual(['terraform/live']);
    expect(directoriesToList([modified('terraform/live/orders.tf')], SINGLE)).toEqual([]);
  });

  it('gives changedRoots the same answer from the listed directories as from the whole head', () => {
    fc.assert(
      fc.property(
        fc.array(anyChange, { maxLength: 6 }),
        fc.subarray([...FLEET_FILES, 'terraform/live/README.md']),
        (changes, head) => {
          const dirs = directoriesToList(changes, PER_DB);
          const listed = head.filter((p) => dirs.some((d) => p.startsWith(`${d}/`)));
          expect(changedRoots(changes, PER_DB, listed)).toEqual(changedRoots(changes, PER_DB, head));
        },
      ),
      { numRuns: 500 },
    );
  });
});
