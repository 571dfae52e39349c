/**
 * A separate process upserting one pull request comment through the local git host, for the race in
 * test/integration/git-host-comments.test.ts. Run with the TypeScript hooks:
 * `node --import ./test/support/ts-register.mjs test/support/comment-child.ts DB REPO NUMBER MARKER ID ROUNDS`.
 * Prints `ready`, waits for a line on stdin, then upserts ROUNDS times (each body differs from the last) and
 * prints each result as a JSON line.
 */
import { once } from 'node:events';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase } from '../../src/adapters/local/sqlite.js';

const [dbFile, repository, number, marker, id, rounds] = process.argv.slice(2);
if (!dbFile || !repository || !number || !marker || !id || !rounds)
  throw new Error('usage: comment-child.ts DB REPO NUMBER MARKER ID ROUNDS');
const db = openDatabase(dbFile);
const host = new LocalGitHost({
  repository,
  author: { name: 'rds-provisioner', email: 'rds-provisioner@example.com' },
  db,
  clock: { now: () => new Date() },
  pullUrl: (n) => `http://x/${n}`,
});
process.stdout.write('ready\n');
await once(process.stdin, 'data');
for (let round = 0; round < Number(rounds); round++) {
  const result = await host.upsertPullRequestComment(
    Number(number),
    marker,
    `${marker}\nchild ${id} round ${round}\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
await host.dispose();
db.close();
process.exit(0);
