import type { PlanSummary } from './api.js';
import { dataCell, dataTable, h, timeElement } from './dom.js';

/**
 * The latest plan the pipeline reported for a request's pull request: per database what it adds, changes,
 * destroys and replaces; a loud warning when it destroys or replaces a database the request did not ask
 * to retire, and every address it destroys or replaces. Every name is the pipeline's text, shown as text.
 */

type Heading = 'h3' | 'h4';

export function planSummary(plan: PlanSummary, id: string, heading: Heading): HTMLElement {
  const unexpected = plan.databases.filter((db) => db.unexpected);
  const removing = plan.databases.filter((db) => db.destroyed.length + db.replaced.length > 0);
  const { other } = plan;
  const otherCount = other.add + other.change + other.destroy + other.replace;
  return h(
    'section',
    { class: 'plan-summary', id, 'aria-labelledby': `${id}-title` },
    h(heading, { id: `${id}-title` }, 'Latest plan'),
    h(
      'p',
      { class: 'hint' },
      'At commit ',
      h('code', { title: plan.commit }, plan.commit.slice(0, 12)),
      ` of pull request #${plan.pull_request}, reported `,
      timeElement(plan.reported_at),
      ` (Terraform ${plan.terraform_version}).`,
    ),
    unexpected.length
      ? h(
          'div',
          { class: 'plan-unexpected', id: `${id}-unexpected` },
          h('p', { class: 'plan-unexpected-title' }, 'Do not merge without knowing why'),
          h(
            'p',
            {},
            'This plan destroys or replaces ',
            ...joined(unexpected.map((db) => h('code', {}, db.db_name))),
            unexpected.length === 1 ? ', a database' : ', databases',
            ' this request did not ask to retire.',
          ),
        )
      : null,
    plan.databases.length
      ? dataTable(
          { id: `${id}-databases` },
          'What the plan does, per database',
          ['Database', 'Add', 'Change', 'Destroy', 'Replace'],
          h(
            'tbody',
            { role: 'rowgroup' },
            ...plan.databases.map((db) =>
              h(
                'tr',
                { role: 'row', 'data-db': db.db_name, 'data-unexpected': String(db.unexpected) },
                h('th', { scope: 'row', role: 'rowheader', 'data-label': 'Database' }, db.db_name),
                dataCell('Add', String(db.add)),
                dataCell('Change', String(db.change)),
                dataCell('Destroy', String(db.destroy)),
                dataCell('Replace', String(db.replace)),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No database changes: the plan leaves every database as it is.'),
    otherCount
      ? h(
          'p',
          { class: 'hint' },
          `Outside any database's module: ${other.add} to add, ${other.change} to change, ${other.destroy} to destroy, ${other.replace} to replace.`,
        )
      : null,
    removing.length
      ? h(
          'div',
          { class: 'plan-removes', id: `${id}-removes` },
          h('p', { class: 'plan-removes-title' }, 'Resources this plan removes'),
          h(
            'ul',
            {},
            ...removing.flatMap((db) => [
              ...db.destroyed.map((address) =>
                h('li', { 'data-kind': 'destroyed' }, 'destroyed: ', h('code', {}, address)),
              ),
              ...db.replaced.map((address) =>
                h(
                  'li',
                  { 'data-kind': 'replaced' },
                  'replaced (destroyed and created again): ',
                  h('code', {}, address),
                ),
              ),
            ]),
          ),
        )
      : null,
  );
}

/** Nodes separated by ", " and a final " and ". */
function joined(nodes: Node[]): (Node | string)[] {
  return nodes.flatMap((node, i) => (i === 0 ? [node] : [i === nodes.length - 1 ? ' and ' : ', ', node]));
}
