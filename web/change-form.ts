import type { Change, DatabaseDetail, EnvironmentPolicy, FieldIssue } from './api.js';
import { describedBy, h } from './dom.js';
import { type Control, clearFieldIssues, type IssueField, showFieldIssues } from './field-issues.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The form that changes a database: every setting a change may move, filled with what the database has
 * now and narrowed to what its environment's policy offers (GET /request-form). It sends only what moved,
 * as a JSON merge patch: a tag removed is `null`.
 */

const AURORA = ['aurora', 'aurora-serverless'];

interface FormField extends IssueField {
  name: string;
  hint: HTMLElement;
}

interface TagRow {
  row: HTMLElement;
  key: HTMLInputElement;
  value: HTMLInputElement;
  /** The tag's value now; undefined for a tag this form adds. */
  was: string | undefined;
  removed: boolean;
}

export class ChangeFormView {
  readonly element: HTMLElement;
  /** Told after every edit: the preview on screen may no longer be of this form. */
  onChange: () => void = () => {};

  private readonly fields = new Map<string, FormField>();
  private readonly size: HTMLSelectElement;
  private readonly instances: HTMLInputElement;
  private readonly deployment: HTMLSelectElement | undefined;
  private readonly version: HTMLSelectElement;
  private readonly owner: HTMLInputElement;
  private readonly majorUpgrade: HTMLInputElement;
  private readonly tagRows: TagRow[] = [];
  private readonly tagList: HTMLElement;
  private readonly addTag: HTMLButtonElement;
  private tagCount = 0;

  constructor(
    private readonly db: DatabaseDetail,
    private readonly env: EnvironmentPolicy | undefined,
    private readonly tagSchema: JsonSchema | undefined,
  ) {
    const engine = db.engine && env ? env.engines[db.engine] : undefined;
    const sizes = env?.sizes.allowed ?? [];
    this.size = this.select('size', withCurrent(sizes, db.size), db.size);
    const sizeField = this.field(
      'size',
      'Size',
      this.size,
      `Now ${db.size ?? 'unknown'}. ${db.environment ?? 'This environment'} allows ${sizes.join(', ') || 'no size'}.`,
    );

    this.instances = h('input', {
      id: 'change-instances',
      name: 'instances',
      type: 'number',
      inputmode: 'numeric',
      step: 1,
      value: db.instances ?? '',
    });
    let instancesHint = `Now ${db.instances ?? 'unknown'}. A writer plus readers.`;
    if (db.deployment === 'instance') {
      this.instances.readOnly = true;
      instancesHint = 'An instance deployment always has exactly one.';
    } else if (env) {
      this.instances.min = String(env.instances.min);
      this.instances.max = String(env.instances.max);
      instancesHint += ` ${env.instances.min} to ${env.instances.max} in ${db.environment}.`;
    }
    const instancesField = this.field('instances', 'Instances', this.instances, instancesHint);

    // Aurora and Aurora Serverless v2 are the same cluster; an instance is another kind of database.
    let deploymentField: HTMLElement | undefined;
    if (db.deployment && AURORA.includes(db.deployment)) {
      const offered = AURORA.filter((d) => engine?.deployments.includes(d) ?? d === db.deployment);
      this.deployment = this.select('deployment', withCurrent(offered, db.deployment), db.deployment);
      this.deployment.addEventListener('change', () => this.offerVersions());
      deploymentField = this.field(
        'deployment',
        'Deployment',
        this.deployment,
        `Now ${db.deployment}. Moving between Aurora and Aurora Serverless v2 keeps the cluster.`,
      );
    }

    this.version = this.select('engine_version', [], db.engine_version);
    const versionField = this.field('engine_version', 'Engine version', this.version, '');
    this.offerVersions();

    this.majorUpgrade = h('input', {
      id: 'change-allow_major_version_upgrade',
      name: 'allow_major_version_upgrade',
      type: 'checkbox',
    });
    const majorField = this.field(
      'allow_major_version_upgrade',
      'Allow a major version upgrade',
      this.majorUpgrade,
      'Needed to move to a new major version (for example 8.0 to 8.4); the parameter groups are replaced.',
    );

    this.owner = h('input', {
      id: 'change-owner',
      name: 'owner',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'none',
      value: db.owner ?? '',
    });
    const ownerField = this.field(
      'owner',
      'Owner',
      this.owner,
      `Now ${db.owner ?? 'unknown'}. ${env?.owner_required ? `Required in ${db.environment}.` : ''}`,
    );

    this.tagList = h('div', { class: 'map-rows' });
    this.addTag = h(
      'button',
      { type: 'button', class: 'button-secondary button-small', id: 'change-tags' },
      'Add tag',
    );
    this.addTag.addEventListener('click', () => {
      this.addTagRow().key.focus();
      this.onChange();
    });
    const tagsField = this.tagsField();
    for (const [key, value] of Object.entries(db.tags)) this.addTagRow(key, value);

    this.element = h(
      'div',
      { class: 'form-body' },
      h(
        'fieldset',
        { class: 'group' },
        h('legend', {}, 'Capacity'),
        sizeField,
        instancesField,
        deploymentField,
      ),
      h('fieldset', { class: 'group' }, h('legend', {}, 'Engine'), versionField, majorField),
      h('fieldset', { class: 'group' }, h('legend', {}, 'Ownership'), ownerField, tagsField),
    );
    this.element.addEventListener('input', () => this.onChange());
    this.element.addEventListener('change', () => this.onChange());
  }

  /** The change as the API takes it: only the settings that differ from the database's. */
  values(): Change {
    const db = this.db;
    const change: Change = {};
    if (this.size.value && this.size.value !== db.size) change.size = this.size.value as Change['size'];
    const instances = this.instances.value.trim();
    // A number input holds a number or nothing.
    if (instances !== '' && Number(instances) !== db.instances) change.instances = Number(instances);
    if (this.deployment && this.deployment.value !== db.deployment)
      change.deployment = this.deployment.value as Change['deployment'];
    if (this.version.value && this.version.value !== db.engine_version)
      change.engine_version = this.version.value;
    const owner = this.owner.value.trim();
    if (owner !== (db.owner ?? '')) change.owner = owner;
    const tags: Record<string, string | null> = {};
    for (const row of this.tagRows) {
      const key = row.key.value.trim();
      const value = row.value.value.trim();
      if (row.was !== undefined) {
        if (row.removed) tags[key] = null;
        else if (value !== row.was) tags[key] = value;
      } else if (key || value) tags[key] = value;
    }
    if (Object.keys(tags).length) change.tags = tags;
    if (this.majorUpgrade.checked) change.allow_major_version_upgrade = true;
    return change;
  }

  showIssues(issues: FieldIssue[], summary: HTMLElement): void {
    showFieldIssues(issues, summary, (name) => this.fields.get(name), this.fields.values(), 'Change');
  }

  clearIssues(summary: HTMLElement): void {
    clearFieldIssues(summary, this.fields.values());
  }

  /** The engine versions the policy allows for the chosen deployment, and the database's own. */
  private offerVersions(): void {
    const db = this.db;
    const deployment = this.deployment?.value ?? db.deployment;
    const engine = db.engine && this.env ? this.env.engines[db.engine] : undefined;
    const allowed = (deployment && engine?.engine_versions[deployment]?.allowed) || [];
    const chosen = this.version.value || db.engine_version;
    setOptions(this.version, withCurrent(allowed, db.engine_version), db.engine_version);
    if (chosen && [...this.version.options].some((o) => o.value === chosen)) this.version.value = chosen;
    const hint = this.fields.get('engine_version')?.hint;
    if (hint)
      hint.textContent = `Now ${db.engine_version ?? 'unknown'}. ${deployment ?? ''} allows ${allowed.join(', ') || 'no version'}.`;
  }

  private select(name: string, values: string[], current: string | null): HTMLSelectElement {
    const select = h('select', { id: `change-${name}`, name });
    setOptions(select, values, current);
    return select;
  }

  private field(name: string, label: string, control: Control, hintText: string): HTMLElement {
    const id = control.id;
    const hint = h('p', { id: `${id}-hint`, class: 'hint' }, hintText);
    const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
    describedBy(control, hint.id, true);
    const labelElement = h('label', { for: id }, label);
    const checkbox = control instanceof HTMLInputElement && control.type === 'checkbox';
    const container = checkbox
      ? h('div', { class: 'field field-checkbox', 'data-field': name }, control, labelElement, hint, error)
      : h('div', { class: 'field', 'data-field': name }, labelElement, hint, error, control);
    this.fields.set(name, {
      name,
      label,
      container,
      error,
      hint,
      focusTarget: control,
      controls: () => [control],
    });
    return container;
  }

  private tagsField(): HTMLElement {
    const hint = h(
      'p',
      { id: 'change-tags-hint', class: 'hint' },
      'Extra AWS tags. Remove marks a tag for removal; the service sets environment, owner, managed-by and request-id itself.',
    );
    const error = h('p', { id: 'change-tags-error', class: 'field-error', hidden: true });
    const container = h(
      'fieldset',
      { class: 'field map', 'data-field': 'tags', 'aria-describedby': hint.id },
      h('legend', {}, 'Tags'),
      hint,
      error,
      this.tagList,
      this.addTag,
    );
    this.fields.set('tags', {
      name: 'tags',
      label: 'Tags',
      container,
      error,
      hint,
      focusTarget: this.addTag,
      controls: (key) =>
        this.tagRows
          .filter((row) => row.row.isConnected && (key === undefined || row.key.value.trim() === key))
          .flatMap((row) => [row.key, row.value]),
    });
    return container;
  }

  private addTagRow(key = '', value?: string): TagRow {
    const n = ++this.tagCount;
    const existing = value !== undefined;
    const valueSchema =
      typeof this.tagSchema?.additionalProperties === 'object' ? this.tagSchema.additionalProperties : {};
    const input = (part: 'key' | 'value', text: string, maxlength: number | undefined) =>
      h('input', {
        id: `change-tag-${part}-${n}`,
        name: `tags.${part}`,
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        'data-part': part,
        maxlength,
        value: text,
      });
    const keyInput = input('key', key, this.tagSchema?.propertyNames?.maxLength);
    // A tag the database has keeps its key: changing it is removing it and adding another.
    keyInput.readOnly = existing;
    const valueInput = input('value', value ?? '', valueSchema.maxLength);
    // Screen readers tell the rows apart by the tag's key, or by number for a tag being added.
    const which = existing ? ` of tag ${key}` : ` of tag ${n}`;
    const state = h('span', { class: 'tag-state' });
    const toggle = h('button', { type: 'button', class: 'button-secondary button-small' });
    const row = h(
      'div',
      { class: 'map-row' },
      h(
        'div',
        { class: 'map-cell' },
        h('label', { for: keyInput.id }, 'Key', h('span', { class: 'visually-hidden' }, which)),
        keyInput,
      ),
      h(
        'div',
        { class: 'map-cell' },
        h('label', { for: valueInput.id }, 'Value', h('span', { class: 'visually-hidden' }, which)),
        valueInput,
      ),
      h('div', { class: 'map-cell' }, toggle, state),
    );
    const tag: TagRow = { row, key: keyInput, value: valueInput, was: value, removed: false };
    const render = () => {
      toggle.replaceChildren(
        tag.removed ? 'Keep' : 'Remove',
        h('span', { class: 'visually-hidden' }, which.replace(' of', '')),
      );
      state.textContent = tag.removed ? 'Removed by this change' : '';
      valueInput.readOnly = tag.removed;
      row.classList.toggle('map-row-removed', tag.removed);
    };
    toggle.addEventListener('click', () => {
      if (existing) {
        tag.removed = !tag.removed;
        render();
      } else {
        const next = row.nextElementSibling ?? row.previousElementSibling;
        row.remove();
        this.tagRows.splice(this.tagRows.indexOf(tag), 1);
        (next?.querySelector<HTMLElement>('button, input:not([readonly])') ?? this.addTag).focus();
      }
      this.onChange();
    });
    render();
    this.tagRows.push(tag);
    this.tagList.appendChild(row);
    return tag;
  }
}

/** The policy's choices, and the database's own value first when the policy no longer offers it. */
const withCurrent = (values: string[], current: string | null): string[] =>
  current && !values.includes(current) ? [current, ...values] : values;

function setOptions(select: HTMLSelectElement, values: string[], current: string | null): void {
  select.replaceChildren(
    ...values.map((value) => h('option', { value }, value === current ? `${value} (current)` : value)),
  );
  if (current && values.includes(current)) select.value = current;
}
