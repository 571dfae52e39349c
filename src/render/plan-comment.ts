import type { PlanReport } from '../domain/reports.js';
import { literal, tableRow } from './pull-request.js';

/** The hidden line that makes the plan comment one comment per pull request, edited in place. */
export const PLAN_COMMENT_MARKER = '<!-- rds-provisioner:plan -->';

/**
 * The pull request's plan comment: per database what the plan adds, changes, destroys and replaces; a
 * warning block for every destroy or replacement, and a loud one when a database the request did not
 * ask to retire would be destroyed or replaced. Every name comes from the pipeline's document, so each
 * goes through `literal` (no mention, link or HTML).
 */
export function renderPlanComment(plan: PlanReport): string {
  const lines = [PLAN_COMMENT_MARKER, `### Terraform plan at ${literal(plan.commit.slice(0, 12))}`, ''];
  const unexpected = plan.databases.filter((db) => db.unexpected);
  if (unexpected.length > 0) {
    lines.push('> [!CAUTION]');
    for (const db of unexpected)
      lines.push(
        `> **This plan destroys or replaces database ${literal(db.dbName)}, and this request did not ask to retire it.** Do not merge until you know why.`,
      );
    lines.push('');
  }
  if (plan.databases.length === 0)
    lines.push('No database changes: the plan leaves every database as it is.');
  else {
    lines.push(tableRow(['Database', 'Add', 'Change', 'Destroy', 'Replace']));
    lines.push(tableRow(['---', '--:', '--:', '--:', '--:']));
    for (const db of plan.databases)
      lines.push(tableRow([literal(db.dbName), ...[db.add, db.change, db.destroy, db.replace].map(String)]));
  }
  const { other } = plan;
  if (other.add + other.change + other.destroy + other.replace > 0)
    lines.push(
      '',
      `Outside any database's module: ${other.add} to add, ${other.change} to change, ${other.destroy} to destroy, ${other.replace} to replace.`,
    );
  const warned = plan.databases.filter((db) => db.destroyed.length + db.replaced.length > 0);
  if (warned.length > 0) {
    lines.push('', '> [!WARNING]', '> Resources this plan removes:');
    for (const db of warned) {
      for (const address of db.destroyed) lines.push(`> - destroyed: ${literal(address)}`);
      for (const address of db.replaced)
        lines.push(`> - replaced (destroyed and created again): ${literal(address)}`);
    }
  }
  lines.push(
    '',
    `<sub>Reported by the pipeline at ${literal(plan.reportedAt)} (Terraform ${literal(plan.terraformVersion)}); this comment is updated in place for every new plan.</sub>`,
  );
  return `${lines.join('\n')}\n`;
}
