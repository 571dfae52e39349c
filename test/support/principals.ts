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
