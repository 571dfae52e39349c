import type { DriftReport } from './api.js';
import { dateElement, h, timeElement } from './dom.js';

/**
 * Where a database stands against its files, from the nightly plan: drifted (AWS holds what the files do
 * not say), pending (a merged and applied change waits for the maintenance window), or clean. Nothing is
 * shown for a database no report has named yet.
 */

type Status = DriftReport['status'];
type Heading = 'h4';

const LABEL: Record<Status, string> = { drifted: 'drifted', pending: 'pending', clean: 'clean' };
const MEANING: Record<Status, string> = {
  drifted: 'AWS holds settings the files do not say: someone changed it outside the pull requests.',
  pending: 'A merged and applied change waits for the maintenance window; the rest is as the files say.',
  clean: 'AWS holds what the files say.',
};

/** The inventory's badge: "drifted since …", "pending", "clean"; null when no report named it. */
export function driftBadge(drift: DriftReport | null | undefined): HTMLElement | null {
  if (!drift) return null;
  return h(
    'span',
    { class: `drift drift-${drift.status}`, title: MEANING[drift.status], 'data-drift': drift.status },
    LABEL[drift.status],
    ...(drift.status === 'drifted' && drift.since ? [' since ', dateElement(drift.since)] : []),
  );
}

/** The database page's part: the verdict, when it was reported, and the attributes per address. */
export function driftSection(
  drift: DriftReport | null | undefined,
  id: string,
  heading: Heading,
): HTMLElement {
  const section = h(
    'section',
    { class: 'drift-report', id, 'aria-labelledby': `${id}-title` },
    h(heading, { id: `${id}-title` }, 'Drift'),
  );
  if (!drift) {
    section.append(
      h('p', { class: 'muted' }, 'No drift report yet: the nightly plan has not named this database.'),
    );
    return section;
  }
  section.append(
    h('p', { class: 'drift-line' }, driftBadge(drift) ?? '', ' ', MEANING[drift.status]),
    h(
      'p',
      { class: 'hint' },
      'Reported ',
      timeElement(drift.reported_at),
      ' by the plan of commit ',
      h('code', { title: drift.commit }, drift.commit.slice(0, 12)),
      '.',
    ),
    ...attributeList(drift.drifted, `${id}-drifted`, 'Drifted: AWS differs from the file'),
    ...attributeList(drift.pending, `${id}-pending`, 'Pending: waits for the maintenance window'),
  );
  return section;
}

function attributeList(changes: DriftReport['drifted'], id: string, title: string): HTMLElement[] {
  if (changes.length === 0) return [];
  return [
    h('h5', { id: `${id}-title` }, title),
    h(
      'ul',
      { class: 'attribute-changes', id, 'aria-labelledby': `${id}-title` },
      ...changes.map((change) =>
        h(
          'li',
          { 'data-address': change.address },
          h('code', {}, change.address),
          ': ',
          ...change.attributes.flatMap((attribute, i) => [i ? ', ' : '', h('code', {}, attribute)]),
        ),
      ),
    ),
  ];
}
