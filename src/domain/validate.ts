import type { Policy } from './policy.js';
import { applyPolicy } from './policy-rules.js';
import { type FieldIssue, type RequestV1, type Result, requestV1Schema, toFieldIssues } from './request.js';

/** The request's fields in the order a requester fills them in; issues are answered in this order. */
const FIELDS = Object.keys(requestV1Schema.shape);

/**
 * Every problem with a raw request in one answer, schema and policy alike: the policy runs on each field
 * the schema accepted, so fixing one problem never reveals another that was there all along.
 */
export function checkRequest(input: unknown, policy: Policy): Result<RequestV1> {
  const parsed = requestV1Schema.safeParse(input);
  if (parsed.success) {
    const { issues } = applyPolicy(parsed.data, policy);
    return issues.length > 0 ? { ok: false, issues: inFieldOrder(issues) } : { ok: true, value: parsed.data };
  }
  const { request, refused } = fieldsThatPass(input);
  const issues = [...toFieldIssues(parsed.error), ...applyPolicy(request, policy, refused).issues];
  return { ok: false, issues: inFieldOrder(issues) };
}

/** Each known field checked on its own: the values that pass, and the names of those that do not. */
function fieldsThatPass(input: unknown): { request: Partial<RequestV1>; refused: Set<string> } {
  const request: Record<string, unknown> = {};
  const refused = new Set<string>();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { request, refused };
  for (const [field, schema] of Object.entries(requestV1Schema.shape)) {
    if (!Object.hasOwn(input, field)) continue;
    const result = schema.safeParse((input as Record<string, unknown>)[field]);
    if (result.success) request[field] = result.data;
    else refused.add(field);
  }
  return { request: request as Partial<RequestV1>, refused };
}

/** Stable: within a field, schema issues stay before policy ones. The body comes first, unknown fields last. */
function inFieldOrder(issues: FieldIssue[]): FieldIssue[] {
  const rank = (issue: FieldIssue) => {
    if (issue.path === '(body)') return -1;
    const at = FIELDS.indexOf(issue.path.split(/[.[]/, 1)[0] ?? '');
    return at === -1 ? FIELDS.length : at;
  };
  return issues
    .map((issue) => ({ issue, rank: rank(issue) }))
    .sort((a, b) => a.rank - b.rank)
    .map((r) => r.issue);
}
