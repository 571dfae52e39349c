import type { Access } from './access.js';
import {
  type Api,
  ApiError,
  type DatabaseDetail,
  type LifecyclePreview,
  type RequestForm,
  type RequestView,
} from './api.js';
import { ChangeFormView } from './change-form.js';
import { connectionDetails } from './connection-details.js';
import { costEstimate } from './cost-estimate.js';
import {
  announce,
  clearMessage,
  dataCell,
  dataTable,
  definitionList,
  h,
  message,
  orUnknown,
  scrollBehavior,
  show,
  timeElement,
} from './dom.js';
import { driftSection } from './drift.js';
import { requestSchema } from './json-schema.js';
import { diffSection, pullRequestBody } from './pull-parts.js';
import { statusBadge } from './status-text.js';

/**
 * One database, selected in the inventory: its settings, every request for it, and the two things a
 * person can ask for. A change is previewed (PATCH ?dry_run=true: the file's diff and the pull request)
 * and can be submitted only while that preview is of exactly the form as it stands. A retirement is
 * previewed (DELETE ?dry_run=true: what it destroys) and sent only once the person has typed the name.
 */

export interface DetailDeps {
  api: Api;
  followRequest(id: string): void;
  pullRequestLink(view: RequestView, long: boolean): HTMLElement | undefined;
  /** A request was queued: the page follows it like one it created. */
  queued(id: string): void;
}

/** The detail's elements that change after it is first drawn. */
interface Parts {
  title: HTMLElement;
  state: HTMLElement;
  /** What the pipeline reported: the connection details and drift. */
  reports: HTMLElement;
  requests: HTMLElement;
  changeErrors: HTMLElement;
  changeMessage: HTMLElement;
  changePreview: HTMLElement;
  stale: HTMLElement;
  retireMessage: HTMLElement;
  retirePreview: HTMLElement;
}

export class DatabaseDetailView {
  private db: DatabaseDetail | undefined;
  private form: ChangeFormView | undefined;
  /** The change (as JSON) the preview on screen was made for; Submit needs it to match the form. */
  private previewedFor: string | undefined;
  private busy = false;
  private generation = 0;
  private parts: Parts | null = null;
  private buttons: { preview: HTMLButtonElement; submit: HTMLButtonElement } | null = null;
  private retireButton: HTMLButtonElement | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: DetailDeps,
    private readonly spec: () => RequestForm | undefined,
    private readonly access: () => Access | undefined,
  ) {}

  /** Reads the database and shows it; focus goes to its heading. */
  async open(name: string): Promise<void> {
    const generation = ++this.generation;
    // Until it is read, nothing is shown for a refresh to update.
    this.db = undefined;
    this.parts = null;
    show(this.root, true);
    this.root.replaceChildren(h('p', { class: 'hint' }, `Loading ${name}…`));
    let parts: Parts;
    try {
      const db = await this.deps.api.database(name);
      if (generation !== this.generation) return;
      parts = this.render(db);
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.credentialRefused) return;
      const box = h('p', { class: 'message' });
      this.root.replaceChildren(box);
      message(box, `${name} could not be loaded: ${(error as Error).message}.`, 'error');
      return;
    }
    parts.title.focus();
    this.root.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
  }

  /**
   * Reads the database again: its state and requests follow. The forms are rebuilt only when the file on
   * the base branch changed, so a person's edits survive a poll.
   */
  async refresh(): Promise<void> {
    const name = this.db?.db_name;
    if (!name) return;
    const generation = ++this.generation;
    let db: DatabaseDetail;
    try {
      db = await this.deps.api.database(name);
    } catch (error) {
      if (generation !== this.generation) return;
      // Retired meanwhile: nothing is left to change or retire.
      if (error instanceof ApiError && error.status === 404 && this.parts) {
        const { title, state } = this.parts;
        this.root.replaceChildren(title, state);
        message(state, `${name} is no longer on the base branch.`, 'info');
      }
      return;
    }
    if (generation !== this.generation || db.db_name !== this.db?.db_name) return;
    if (db.content !== this.db.content || db.managed !== this.db.managed) {
      const focused = this.root.contains(document.activeElement);
      const parts = this.render(db);
      if (focused) parts.title.focus();
      return;
    }
    this.db = db;
    if (!this.parts) return;
    this.renderState(db, this.parts.state);
    this.renderReports(db, this.parts.reports);
    this.parts.requests.replaceChildren(this.requestsTable(db));
  }

  close(): void {
    this.generation++;
    this.db = undefined;
    this.form = undefined;
    this.parts = null;
    this.buttons = null;
    this.retireButton = null;
    this.previewedFor = undefined;
    this.root.replaceChildren();
    show(this.root, false);
  }

  // -------------------------------------------------------------------------------------- rendering

  private render(db: DatabaseDetail): Parts {
    this.db = db;
    this.previewedFor = undefined;
    const title = h('h3', { id: 'database-title', tabindex: -1 }, db.db_name);
    const state = h('div', { id: 'database-state' });
    const reports = h('div', { id: 'database-reports' });
    const requests = h('div', { id: 'database-requests' });
    const parts: Parts = {
      title,
      state,
      reports,
      requests,
      changeErrors: h('div', {
        id: 'change-errors',
        class: 'error-summary',
        role: 'alert',
        tabindex: -1,
        hidden: true,
      }),
      changeMessage: h('p', { id: 'change-message', class: 'message', hidden: true }),
      changePreview: h('section', {
        id: 'change-preview',
        class: 'lifecycle-preview',
        'aria-labelledby': 'change-preview-title',
        hidden: true,
      }),
      stale: h(
        'p',
        { id: 'change-stale', class: 'message message-warning', hidden: true },
        'The form changed since this preview. Preview again to see the change as the form stands.',
      ),
      retireMessage: h('p', { id: 'retire-message', class: 'message', hidden: true }),
      retirePreview: h('section', {
        id: 'retire-preview',
        class: 'lifecycle-preview',
        'aria-labelledby': 'retire-preview-title',
        hidden: true,
      }),
    };
    this.parts = parts;
    this.renderState(db, state);
    this.renderReports(db, reports);
    requests.replaceChildren(this.requestsTable(db));
    this.root.replaceChildren(
      title,
      state,
      this.meta(db),
      reports,
      h('h4', {}, 'Requests'),
      requests,
      ...(db.managed === 'generated' ? this.lifecycleSections(db) : []),
    );
    return parts;
  }

  /** Change and retire, each offered only to whoever may do it in the database's environment. */
  private lifecycleSections(db: DatabaseDetail): HTMLElement[] {
    const access = this.access();
    const sections: HTMLElement[] = [];
    if (access?.may('change', db.environment)) sections.push(this.changeSection(db));
    if (access?.may('retire', db.environment)) sections.push(this.retireSection(db));
    return sections;
  }

  /** How the service stands with the file, and the request in flight, if any. */
  private renderState(db: DatabaseDetail, box: HTMLElement): void {
    if (db.managed !== 'generated') {
      message(
        box,
        db.managed === 'hand-edited'
          ? 'Edited by hand since rds-provisioner wrote it: the service will not change or retire it, so as not to overwrite that edit. '
          : 'Not written by rds-provisioner: change or retire it by hand, through a pull request. ',
        'warning',
        h('span', { class: 'problem' }, db.problem ?? ''),
      );
      return;
    }
    if (db.in_flight) {
      const id = db.in_flight;
      message(
        box,
        'A request for this database is in flight; another waits until it is finished. ',
        'info',
        this.followButton(id, 'Follow that request'),
      );
      return;
    }
    clearMessage(box);
  }

  /** What the pipeline last reported of it: how to reach it, and whether AWS still holds what the file says. */
  private renderReports(db: DatabaseDetail, box: HTMLElement): void {
    box.replaceChildren(
      db.connection
        ? connectionDetails(db.connection, 'database-connection', 'h4')
        : h(
            'section',
            { id: 'database-connection', 'aria-labelledby': 'database-connection-title' },
            h('h4', { id: 'database-connection-title' }, 'Connection details'),
            h(
              'p',
              { class: 'muted' },
              'None yet: they come with the pipeline’s report of a successful apply.',
            ),
          ),
      driftSection(db.drift, 'database-drift', 'h4'),
    );
  }

  private meta(db: DatabaseDetail): HTMLElement {
    const tags = Object.entries(db.tags);
    return definitionList({ class: 'meta', id: 'database-meta' }, [
      ['Environment', orUnknown(db.environment)],
      ['Engine', orUnknown(db.engine)],
      ['Deployment', orUnknown(db.deployment)],
      ['Engine version', orUnknown(db.engine_version)],
      ['Size', orUnknown(db.size)],
      ['Instances', orUnknown(db.instances)],
      ['Owner', orUnknown(db.owner)],
      [
        'Tags',
        tags.length
          ? h(
              'ul',
              { class: 'tag-list' },
              ...tags.map(([k, v]) => h('li', {}, h('code', {}, k), ' = ', h('code', {}, v))),
            )
          : h('span', { class: 'muted' }, 'none'),
      ],
      ['File', h('code', {}, db.file)],
    ]);
  }

  private requestsTable(db: DatabaseDetail): HTMLElement {
    if (db.requests.length === 0) return h('p', { class: 'empty' }, 'No request of this service names it.');
    return dataTable(
      { id: 'database-requests-table' },
      `Requests for ${db.db_name}, newest first`,
      ['Kind', 'Status', 'Created', 'Pull request'],
      h(
        'tbody',
        { role: 'rowgroup' },
        ...db.requests.map((view) =>
          h(
            'tr',
            {
              role: 'row',
              'data-request-id': view.request_id,
              'data-kind': view.kind,
              'data-status': view.status,
            },
            h(
              'th',
              { scope: 'row', role: 'rowheader', 'data-label': 'Kind' },
              this.followButton(
                view.request_id,
                view.step > 1 ? `${view.kind} (step ${view.step})` : view.kind,
                `: show the status of request ${view.request_id}`,
              ),
            ),
            dataCell('Status', statusBadge(view.status)),
            dataCell('Created', timeElement(view.created_at)),
            dataCell(
              'Pull request',
              this.deps.pullRequestLink(view, false) ?? h('span', { class: 'muted' }, 'none yet'),
            ),
          ),
        ),
      ),
    );
  }

  private followButton(id: string, text: string, hidden = ''): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'button-link' },
      text,
      hidden ? h('span', { class: 'visually-hidden' }, hidden) : null,
    );
    button.addEventListener('click', () => this.deps.followRequest(id));
    return button;
  }

  // ----------------------------------------------------------------------------------------- change

  private changeSection(db: DatabaseDetail): HTMLElement {
    const parts = this.parts as Parts;
    const spec = this.spec();
    const env = db.environment && spec ? spec.environments[db.environment] : undefined;
    this.form = new ChangeFormView(db, env, spec ? requestSchema(spec).properties?.tags : undefined);
    this.form.onChange = () => this.syncSubmit();
    const preview = h(
      'button',
      { type: 'button', class: 'button-secondary', id: 'change-preview-button' },
      'Preview change',
    );
    const submit = h(
      'button',
      {
        type: 'submit',
        class: 'button-primary',
        id: 'change-submit',
        disabled: true,
        'aria-describedby': 'change-submit-hint',
      },
      'Submit change',
    );
    this.buttons = { preview, submit };
    preview.addEventListener('click', () => void this.previewChange());
    const form = h(
      'form',
      { id: 'change-form', novalidate: true, 'aria-labelledby': 'change-title' },
      parts.changeErrors,
      this.form.element,
      h('div', { class: 'actions' }, preview, submit),
      h(
        'p',
        { id: 'change-submit-hint', class: 'hint' },
        'Submit is available once the preview shows the form as it stands.',
      ),
      parts.changeMessage,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitChange();
    });
    return lifecycleSection(
      'change-title',
      `Change ${db.db_name}`,
      'Only what you change here moves; the pull request shows the diff and what applying it does.',
      form,
      parts.stale,
      parts.changePreview,
    );
  }

  private syncSubmit(): void {
    if (!this.form || !this.buttons || !this.parts) return;
    const fresh = this.previewedFor !== undefined && this.previewedFor === JSON.stringify(this.form.values());
    this.buttons.submit.disabled = !fresh;
    show(this.parts.stale, this.previewedFor !== undefined && !fresh);
  }

  private async previewChange(): Promise<void> {
    const { form, parts, db, buttons } = this;
    if (this.busy || !form || !parts || !db || !buttons) return;
    const change = form.values();
    const key = JSON.stringify(change);
    await this.run(buttons.preview, async () => {
      form.clearIssues(parts.changeErrors);
      clearMessage(parts.changeMessage);
      try {
        const preview = await this.deps.api.previewChange(db.db_name, change);
        this.previewedFor = key;
        this.showPreview(parts.changePreview, 'change-preview', 'Preview of the change', preview);
        announce(`Preview ready: ${preview.pull_request.title}.`);
        parts.changePreview.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
      } catch (error) {
        this.previewedFor = undefined;
        show(parts.changePreview, false);
        this.refusal(error, parts.changeMessage, parts.changeErrors);
      }
      this.syncSubmit();
    });
  }

  private async submitChange(): Promise<void> {
    const { form, parts, db, buttons } = this;
    if (this.busy || !form || !parts || !db || !buttons) return;
    const change = form.values();
    // Nothing is sent without its preview on screen.
    if (this.previewedFor !== JSON.stringify(change)) return this.syncSubmit();
    await this.run(buttons.submit, async () => {
      form.clearIssues(parts.changeErrors);
      clearMessage(parts.changeMessage);
      try {
        const accepted = await this.deps.api.change(db.db_name, change);
        this.previewedFor = undefined;
        show(parts.changePreview, false);
        this.accepted(parts.changeMessage, accepted.request_id, 'change');
      } catch (error) {
        this.refusal(error, parts.changeMessage, parts.changeErrors);
      }
      this.syncSubmit();
    });
  }

  // ----------------------------------------------------------------------------------------- retire

  private retireSection(db: DatabaseDetail): HTMLElement {
    const parts = this.parts as Parts;
    const button = h(
      'button',
      { type: 'button', class: 'button-secondary', id: 'retire-preview-button' },
      'Preview retirement',
    );
    button.addEventListener('click', () => void this.previewRetire());
    this.retireButton = button;
    return lifecycleSection(
      'retire-title',
      `Retire ${db.db_name}`,
      'Retiring opens a pull request that removes the database’s file; merging it destroys the database. Preview it to see exactly what goes.',
      h('div', { class: 'actions' }, button),
      parts.retireMessage,
      parts.retirePreview,
    );
  }

  private async previewRetire(): Promise<void> {
    const { parts, db, retireButton } = this;
    if (this.busy || !parts || !db || !retireButton) return;
    await this.run(retireButton, async () => {
      clearMessage(parts.retireMessage);
      try {
        const preview = await this.deps.api.previewRetire(db.db_name);
        this.showPreview(parts.retirePreview, 'retire-preview', 'What retiring it does', preview);
        parts.retirePreview.append(this.confirmRetire(db.db_name));
        announce(`Preview ready: ${preview.pull_request.title}. Type the database's name to confirm.`);
        parts.retirePreview.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
      } catch (error) {
        show(parts.retirePreview, false);
        this.refusal(error, parts.retireMessage);
      }
    });
  }

  /** The name typed in full, exactly, before anything is destroyed. */
  private confirmRetire(name: string): HTMLElement {
    const input = h('input', {
      id: 'retire-confirm',
      name: 'retire-confirm',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'none',
      'aria-describedby': 'retire-confirm-hint',
    });
    const send = h(
      'button',
      { type: 'submit', class: 'button-danger', id: 'retire-submit', disabled: true },
      `Retire ${name}`,
    );
    input.addEventListener('input', () => {
      send.disabled = input.value !== name;
    });
    const form = h(
      'form',
      { id: 'retire-form', class: 'retire-confirm', novalidate: true },
      h(
        'div',
        { class: 'field' },
        h('label', { for: input.id }, 'Type the database’s name to confirm'),
        h(
          'p',
          { id: 'retire-confirm-hint', class: 'hint' },
          'Type ',
          h('code', {}, name),
          ' exactly; Retire is available once it matches.',
        ),
        input,
      ),
      h('div', { class: 'actions' }, send),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (input.value !== name) return;
      void this.retire(send);
    });
    return form;
  }

  private async retire(button: HTMLButtonElement): Promise<void> {
    const { parts, db } = this;
    if (this.busy || !parts || !db) return;
    await this.run(button, async () => {
      clearMessage(parts.retireMessage);
      try {
        const accepted = await this.deps.api.retire(db.db_name);
        show(parts.retirePreview, false);
        parts.retirePreview.replaceChildren();
        this.accepted(parts.retireMessage, accepted.request_id, 'retirement');
      } catch (error) {
        this.refusal(error, parts.retireMessage);
      }
    });
  }

  // ---------------------------------------------------------------------------------------- shared

  private async run(button: HTMLButtonElement, work: () => Promise<void>): Promise<void> {
    this.busy = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await work();
    } finally {
      this.busy = false;
      button.removeAttribute('aria-busy');
    }
  }

  /** The file's diff and the pull request a change or retirement would open, all of it as text. */
  private showPreview(section: HTMLElement, id: string, heading: string, preview: LifecyclePreview): void {
    section.replaceChildren(
      h('h5', { id: `${id}-title` }, heading),
      definitionList({ class: 'meta' }, [
        ['File', h('code', {}, preview.file_path)],
        ['Branch', [h('code', {}, preview.branch), ' into ', h('code', {}, preview.base)]],
        ['Pull request', h('span', { id: `${id}-pr-title` }, preview.pull_request.title)],
      ]),
      costEstimate(preview.cost, `${id}-cost`, 'h5'),
      h('h5', {}, 'Its description'),
      pullRequestBody(preview.pull_request.body, `${id}-body`),
      ...diffSection(
        preview.diff,
        { title: `${id}-diff-title`, hint: `${id}-diff-hint`, pre: `${id}-diff` },
        { text: 'The file’s diff', level: 'h5' },
      ),
    );
    show(section, true);
  }

  private accepted(box: HTMLElement, id: string, what: string): void {
    message(
      box,
      `Request ${id} sent: the ${what}’s pull request follows under Request status. `,
      'success',
      this.followButton(id, 'Show its status'),
    );
    this.deps.queued(id);
    void this.refresh();
  }

  /** What the API said to a change or retirement it refused: beside the fields when it names them. */
  private refusal(error: unknown, box: HTMLElement, summary?: HTMLElement): void {
    if (!(error instanceof ApiError)) {
      message(box, `Something went wrong: ${String(error)}`, 'error');
      return;
    }
    if (error.credentialRefused) return;
    if (error.status === 400 && error.issues.length && summary && this.form) {
      this.form.showIssues(error.issues, summary);
      return;
    }
    if (error.status === 400 && error.issues.length) {
      message(
        box,
        `The service refused it: ${error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
        'error',
      );
      return;
    }
    if (error.status === 409) {
      const id = error.body.request_id;
      message(box, `${error.message}. `, 'error', id ? this.followButton(id, 'Follow that request') : null);
      return;
    }
    if (error.status === 403 || error.status === 404) {
      message(box, `${error.message}.`, 'error');
      return;
    }
    message(box, `The request could not be sent: ${error.message}.`, 'error');
  }
}

/** A change's or a retirement's part of the detail: its heading, what it does, and its controls. */
function lifecycleSection(titleId: string, title: string, hint: string, ...children: Node[]): HTMLElement {
  return h(
    'section',
    { class: 'lifecycle', 'aria-labelledby': titleId },
    h('h4', { id: titleId }, title),
    h('p', { class: 'hint' }, hint),
    ...children,
  );
}
