import type { ConnectionDetails } from './api.js';
import { type Child, definitionList, h, timeElement } from './dom.js';

/**
 * How to reach a database once the pipeline reported its apply: endpoints, port, the secret RDS manages
 * for the master user, every resource ARN, and the one command that fetches the password. The password
 * itself never reaches the service or this page: only the command is shown, ready to copy.
 */

type Heading = 'h3' | 'h4';

export function connectionDetails(connection: ConnectionDetails, id: string, heading: Heading): HTMLElement {
  const code = (text: string) => h('code', {}, text);
  const rows: [string, Child | Child[]][] = [
    ['Writer endpoint', h('code', { id: `${id}-writer` }, connection.writer_endpoint)],
    [
      'Reader endpoint',
      connection.reader_endpoint
        ? h('code', { id: `${id}-reader` }, connection.reader_endpoint)
        : h('span', { class: 'muted' }, 'none (a single instance)'),
    ],
    ['Port', code(String(connection.port))],
    [
      'Master user secret',
      connection.master_user_secret_arn
        ? h('code', { id: `${id}-secret` }, connection.master_user_secret_arn)
        : h('span', { class: 'muted' }, 'not reported'),
    ],
    [
      'Resource ARNs',
      connection.resource_arns.length
        ? h(
            'ul',
            { class: 'arn-list', id: `${id}-arns` },
            ...connection.resource_arns.map((arn) => h('li', {}, code(arn))),
          )
        : h('span', { class: 'muted' }, 'none reported'),
    ],
    [
      'Applied',
      [
        timeElement(connection.applied_at),
        ' at commit ',
        h('code', { title: connection.commit }, connection.commit.slice(0, 12)),
        ' by request ',
        code(connection.request_id),
      ],
    ],
  ];
  return h(
    'section',
    { class: 'connection-details', id, 'aria-labelledby': `${id}-title` },
    h(heading, { id: `${id}-title` }, 'Connection details'),
    definitionList({ class: 'meta' }, rows),
    connection.password_command
      ? copyableCommand(connection.password_command, `${id}-password`)
      : h(
          'p',
          { class: 'hint' },
          'No master user secret was reported, so there is no command to fetch the password.',
        ),
  );
}

/** A command on its own line with a Copy button; where the clipboard is not offered, it is selected. */
function copyableCommand(command: string, id: string): HTMLElement {
  const text = h('code', { id: `${id}-command` }, command);
  const status = h('span', { class: 'copy-status', role: 'status', id: `${id}-copied` });
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'button-secondary button-small',
      id: `${id}-copy`,
      'aria-describedby': `${id}-hint`,
    },
    'Copy command',
  );
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(command);
      status.textContent = 'Copied.';
    } catch {
      // No clipboard here (a page served over plain HTTP from another host): the command is selected instead.
      const range = document.createRange();
      range.selectNodeContents(text);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      status.textContent = 'Selected: press Ctrl+C (⌘C on a Mac) to copy.';
    }
  });
  return h(
    'div',
    { class: 'copy-command' },
    h(
      'p',
      { id: `${id}-hint`, class: 'hint' },
      'The password is never shown here: RDS keeps it in Secrets Manager. This command fetches it with your own AWS credentials.',
    ),
    h('pre', { class: 'command' }, text),
    h('div', { class: 'actions' }, copy, status),
  );
}
