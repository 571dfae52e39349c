import type { Access } from './access.js';
import { ApiError, type DatabaseQuery, type DatabaseSummary, type RequestForm } from './api.js';
import { DatabaseDetailView, type DetailDeps } from './database-detail.js';
import { byId, clearMessage, dataCell, dataTable, h, message, orUnknown, show } from './dom.js';
import { driftBadge } from './drift.js';
import { requestSchema } from './json-schema.js';

/**
 * The inventory: every database on the base branch (GET /databases), filtered by environment, engine and
 * owner, a page at a time ("More databases" follows next_cursor). Each row names its settings, how the
 * service stands with its file and its drift badge; selecting one opens its detail, from which it is
 * changed or retired.
 */

const PAGE_SIZE = 25;

const STATE_TEXT: Record<DatabaseSummary['managed'], string> = {
  generated: 'Managed',
  'hand-edited': 'Edited by hand',
  foreign: 'Not written by rds-provisioner',
};

export class InventoryView {
  private readonly el = {
    filters: byId<HTMLFormElement>('database-filters'),
    environment: byId<HTMLSelectElement>('database-environment'),
    engine: byId<HTMLSelectElement>('database-engine'),
    owner: byId<HTMLInputElement>('database-owner'),
    reload: byId<HTMLButtonElement>('databases-reload'),
    message: byId('databases-message'),
    body: byId('databases-body'),
    more: byId<HTMLButtonElement>('databases-more'),
  };
  private readonly detail: DatabaseDetailView;
  private spec: RequestForm | undefined;
  private access: Access | undefined;
  private nextCursor: string | null = null;
  private generation = 0;

  constructor(private readonly deps: DetailDeps & { followRequest(id: string): void }) {
    this.detail = new DatabaseDetailView(
      byId('database-detail'),
      deps,
      () => this.spec,
      () => this.access,
    );
    this.el.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load();
    });
    for (const select of [this.el.environment, this.el.engine])
      select.addEventListener('change', () => void this.load());
    this.el.reload.addEventListener('click', () => void this.refresh());
    this.el.more.addEventListener('click', () => void this.load(true));
  }

  /**
   * Signed in: the filters offer what the request form does, and the first page loads; a database's
   * detail offers change and retire as `access` allows.
   */
  start(spec: RequestForm, access: Access): void {
    this.spec = spec;
    this.access = access;
    const engines = (requestSchema(spec).properties?.engine?.enum ?? []).map(String);
    fill(this.el.environment, Object.keys(spec.environments), 'All environments');
    fill(this.el.engine, engines, 'All engines');
    this.detail.close();
    void this.load();
  }

  stop(): void {
    this.generation++;
    this.detail.close();
    this.el.body.replaceChildren();
    show(this.el.more, false);
  }

  /** Reads the list and the open database again: a request moved, or a pull request merged. */
  async refresh(): Promise<void> {
    await Promise.all([this.load(), this.detail.refresh()]);
  }

  private async load(append = false): Promise<void> {
    const generation = ++this.generation;
    const query: DatabaseQuery = { limit: String(PAGE_SIZE) };
    if (this.el.environment.value) query.environment = this.el.environment.value;
    if (this.el.engine.value) query.engine = this.el.engine.value as DatabaseQuery['engine'];
    const owner = this.el.owner.value.trim();
    if (owner) query.owner = owner;
    if (append && this.nextCursor) query.cursor = this.nextCursor;
    this.el.reload.setAttribute('aria-busy', 'true');
    try {
      const page = await this.deps.api.listDatabases(query);
      if (generation !== this.generation) return;
      clearMessage(this.el.message);
      this.nextCursor = page.next_cursor;
      show(this.el.more, Boolean(page.next_cursor));
      this.render(page.databases, append);
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.credentialRefused) return;
      const issues = error instanceof ApiError ? error.issues : [];
      const reason = issues.length
        ? issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')
        : (error as Error).message;
      message(this.el.message, `The databases could not be loaded: ${reason}.`, 'error');
    } finally {
      if (generation === this.generation) this.el.reload.removeAttribute('aria-busy');
    }
  }

  private render(databases: DatabaseSummary[], append: boolean): void {
    let tbody = this.el.body.querySelector('tbody');
    if (!append || !tbody) {
      if (databases.length === 0) {
        const filtered = this.el.environment.value || this.el.engine.value || this.el.owner.value.trim();
        this.el.body.replaceChildren(
          h('p', { class: 'empty' }, filtered ? 'No database matches these filters.' : 'No databases yet.'),
        );
        return;
      }
      tbody = h('tbody', { role: 'rowgroup' });
      const headers = [
        'Database',
        'Environment',
        'Engine',
        'Deployment',
        'Version',
        'Size',
        'Instances',
        'Owner',
        'State',
        'Drift',
      ];
      this.el.body.replaceChildren(
        dataTable({ id: 'databases-table' }, 'Databases on the base branch, by name', headers, tbody),
      );
    }
    const focusedName = (document.activeElement as HTMLElement | null)?.dataset?.select;
    for (const db of databases) tbody.appendChild(this.row(db));
    // A reload keeps focus on the same database's button, in its new row.
    if (focusedName && !append)
      tbody.querySelector<HTMLElement>(`[data-select="${CSS.escape(focusedName)}"]`)?.focus();
  }

  private row(db: DatabaseSummary): HTMLElement {
    const select = h(
      'button',
      { type: 'button', class: 'button-link', 'data-select': db.db_name },
      db.db_name,
      h('span', { class: 'visually-hidden' }, ': show its details'),
    );
    select.addEventListener('click', () => void this.detail.open(db.db_name));
    const cell = (label: string, value: string | number | null) => dataCell(label, orUnknown(value));
    const state = h(
      'td',
      { 'data-label': 'State', role: 'cell', class: 'state-cell' },
      STATE_TEXT[db.managed],
    );
    if (db.problem) state.append(h('span', { class: 'problem' }, db.problem));
    if (db.in_flight) {
      const id = db.in_flight;
      const follow = h(
        'button',
        { type: 'button', class: 'button-link' },
        'Request in flight',
        h('span', { class: 'visually-hidden' }, ` for ${db.db_name}: show its status`),
      );
      follow.addEventListener('click', () => this.deps.followRequest(id));
      state.append(h('span', { class: 'in-flight' }, follow));
    }
    return h(
      'tr',
      {
        role: 'row',
        'data-db': db.db_name,
        'data-managed': db.managed,
        'data-in-flight': db.in_flight ?? '',
        'data-drift': db.drift?.status ?? '',
      },
      h('th', { scope: 'row', role: 'rowheader', 'data-label': 'Database' }, select),
      cell('Environment', db.environment),
      cell('Engine', db.engine),
      cell('Deployment', db.deployment),
      cell('Version', db.engine_version),
      cell('Size', db.size),
      cell('Instances', db.instances),
      cell('Owner', db.owner),
      state,
      // Nothing for a database no nightly plan has named yet.
      dataCell('Drift', driftBadge(db.drift)),
    );
  }
}

/** A filter's choices: "all" first, then each value; the current choice kept when it is still offered. */
function fill(select: HTMLSelectElement, values: string[], all: string): void {
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '' }, all),
    ...values.map((value) => h('option', { value }, value)),
  );
  select.value = values.includes(current) ? current : '';
}
