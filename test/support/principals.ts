import type { Principal, Role } from '../../src/domain/access.js';

/** A person as a token-authenticated principal: every environment unless scoped. */
export const person = (
  id: string,
  role: Role = 'requester',
  environments: string[] | null = null,
): Principal => ({
  id,
  role,
  environments,
  via: 'token',
});

/** The principal the tests' use-case calls act as (what the single API token was: an admin). */
export const ALICE = person('alice', 'admin');

/**
 * A second person on a running server: a personal token made by the server's admin (its API token)
 * through POST /tokens. Whoever asks for a prod database may not merge its pull request
 * (separate_duties), so a test that merges prod requests merges as someone else.
 */
export async function personalToken(
  server: { url: string; token: string },
  user: string,
  role: Role,
  environments?: string[],
): Promise<string> {
  const response = await fetch(`${server.url}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, role, ...(environments ? { environments } : {}) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 201) throw new Error(`POST /tokens: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}
