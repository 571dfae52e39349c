import type { EnvironmentPolicy, FieldIssue, RequestForm } from './api.js';
import { describedBy, h } from './dom.js';
import { type Control, clearFieldIssues, type IssueField, showFieldIssues } from './field-issues.js';
import { type JsonSchema, requestSchema } from './json-schema.js';

/**
 * The request form, generated from the request's JSON Schema and narrowed by the environment policy.
 * The schema decides which controls exist and what kind they are; the policy decides which values the
 * chosen environment offers and which are preselected. A field the page has never heard of still gets a
 * control from its schema, so a new request field needs no change here.
 */

type Kind = 'select' | 'text' | 'number' | 'checkbox' | 'map';

interface Field {
  name: string;
  label: string;
  schema: JsonSchema;
  kind: Kind;
  /** Required by the schema, or by the policy (owner in prod). */
  required: boolean;
  container: HTMLElement;
  labelMarker: HTMLElement;
  /** The focus target for the error summary; for a map, its "Add" button or first key. */
  control: Control | HTMLButtonElement;
  policyHint: HTMLElement;
  error: HTMLElement;
  /** Changed by the person, so a policy change keeps the choice if it is still allowed. */
  touched: boolean;
  /** Set by the policy (an instance deployment's one instance): shown, not sent. */
  fixed: boolean;
  rows?: HTMLElement;
}

const LABELS: Record<string, string> = {
  db_name: 'Database name',
  engine: 'Engine',
  environment: 'Environment',
  deployment: 'Deployment',
  size: 'Size',
  engine_version: 'Engine version',
  instances: 'Instances',
  owner: 'Owner',
  tags: 'Tags',
};

/** Hints for the fields the policy shapes; anything else shows only its schema description. */
const HINTS: Record<string, string> = {
  db_name: 'Becomes the Terraform file name, the branch and the database identifier.',
  environment: 'Decides what the rest of the form offers.',
  instances: 'A writer plus readers.',
  owner: 'The team or person answerable for the database.',
  tags: 'Extra AWS tags. The service sets environment, owner, managed-by and request-id itself.',
};

const GROUPS: { legend: string; fields: string[] }[] = [
  { legend: 'Database', fields: ['db_name', 'environment', 'engine'] },
  { legend: 'Deployment and capacity', fields: ['deployment', 'engine_version', 'size', 'instances'] },
  { legend: 'Ownership', fields: ['owner', 'tags'] },
];
const OTHER_GROUP = 'More settings';

const humanize = (name: string) => {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const typeOf = (schema: JsonSchema): string | undefined => {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  const branch = schema.anyOf ?? schema.oneOf;
  return branch ? branch.map(typeOf).find((t) => t && t !== 'null') : undefined;
};

const enumOf = (schema: JsonSchema): string[] | undefined =>
  Array.isArray(schema.enum) ? schema.enum.map(String) : undefined;

/** HTML compiles `pattern` with the `v` flag; a schema pattern that does not compile so is left out. */
const htmlPattern = (pattern: string | undefined): string | undefined => {
  if (!pattern) return undefined;
  const inner = pattern.replace(/^\^/, '').replace(/\$$/, '');
  try {
    new RegExp(`^(?:${inner})$`, 'v');
    return inner;
  } catch {
    return undefined;
  }
};

export class RequestFormView {
  private readonly fields = new Map<string, Field>();
  private readonly order: string[] = [];
  private tagRowCount = 0;
  /** Told after every edit (preview staleness) and every policy re-narrowing. */
  onChange: () => void = () => {};

  constructor(
    private readonly root: HTMLElement,
    private readonly spec: RequestForm,
  ) {}

  render(): void {
    // A fresh container each time, so a view made after signing in again listens on its own element.
    const root = h('div', { class: 'form-body' });
    this.root.replaceChildren(root);
    this.fields.clear();
    this.order.length = 0;
    const schema = requestSchema(this.spec);
    const properties = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    const known = new Set(GROUPS.flatMap((g) => g.fields));
    const others = Object.keys(properties).filter((name) => !known.has(name));
    const groups = [...GROUPS, { legend: OTHER_GROUP, fields: others }];
    for (const group of groups) {
      const names = group.fields.filter((name) => properties[name]);
      if (names.length === 0) continue;
      const fieldset = h('fieldset', { class: 'group' }, h('legend', {}, group.legend));
      for (const name of names) {
        const schema = properties[name] as JsonSchema;
        const field = this.buildField(name, schema, required.has(name));
        this.fields.set(name, field);
        this.order.push(name);
        fieldset.appendChild(field.container);
      }
      root.appendChild(fieldset);
    }
    root.addEventListener('input', (event) => this.edited(event));
    root.addEventListener('change', (event) => this.edited(event));
    this.applyPolicy();
  }

  /** The request as JSON: every field with a value, empty optional ones left out. */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of this.order) {
      const field = this.fields.get(name);
      if (!field || field.fixed) continue;
      if (field.kind === 'map') {
        const entries: [string, string][] = [];
        for (const row of field.rows?.querySelectorAll<HTMLElement>('.map-row') ?? []) {
          const key = row.querySelector<HTMLInputElement>('input[data-part="key"]')?.value.trim() ?? '';
          const value = row.querySelector<HTMLInputElement>('input[data-part="value"]')?.value.trim() ?? '';
          if (key || value) entries.push([key, value]);
        }
        if (entries.length) out[name] = Object.fromEntries(entries);
        continue;
      }
      const control = field.control as Control;
      if (field.kind === 'checkbox') {
        if (field.touched) out[name] = (control as HTMLInputElement).checked;
        continue;
      }
      const value = control.value.trim();
      if (value === '') continue;
      if (field.kind === 'number') {
        const number = Number(value);
        // Something that is not a number goes as typed, so the API names the problem beside the field.
        out[name] = Number.isFinite(number) ? number : value;
        continue;
      }
      out[name] = value;
    }
    return out;
  }

  /** Shows each issue beside its field and lists them all in the summary (field-issues.ts). */
  showIssues(issues: FieldIssue[], summary: HTMLElement): void {
    const views = new Map([...this.fields].map(([name, field]) => [name, this.issueField(field)]));
    showFieldIssues(issues, summary, (name) => views.get(name), views.values(), 'Request');
  }

  clearIssues(summary: HTMLElement): void {
    clearFieldIssues(
      summary,
      [...this.fields.values()].map((field) => this.issueField(field)),
    );
  }

  focusFirst(): void {
    const first = this.fields.get(this.order[0] ?? '');
    first?.control.focus();
  }

  private issueField(field: Field): IssueField {
    return {
      label: field.label,
      container: field.container,
      error: field.error,
      focusTarget: field.control,
      controls: (key) =>
        field.kind === 'map' && key !== undefined ? this.mapRowControls(field, key) : this.controlsOf(field),
    };
  }

  private controlsOf(field: Field): Control[] {
    if (field.kind === 'map') return [...(field.rows?.querySelectorAll<HTMLInputElement>('input') ?? [])];
    return [field.control as Control];
  }

  /** The key and value inputs of the map row whose key is `key`. */
  private mapRowControls(field: Field, key: string): Control[] {
    const out: Control[] = [];
    for (const row of field.rows?.querySelectorAll<HTMLElement>('.map-row') ?? []) {
      const keyInput = row.querySelector<HTMLInputElement>('input[data-part="key"]');
      if (keyInput?.value.trim() === key) out.push(...row.querySelectorAll<HTMLInputElement>('input'));
    }
    return out;
  }

  private edited(event: Event): void {
    const target = event.target as HTMLElement | null;
    const name = target?.closest<HTMLElement>('[data-field]')?.dataset.field;
    const field = name ? this.fields.get(name) : undefined;
    if (field) {
      field.touched = true;
      if (event.type === 'change' && ['environment', 'engine', 'deployment'].includes(field.name))
        this.applyPolicy();
    }
    this.onChange();
  }

  private buildField(name: string, schema: JsonSchema, required: boolean): Field {
    const id = `field-${name}`;
    const label = schema.title ?? LABELS[name] ?? humanize(name);
    const type = typeOf(schema);
    const values = enumOf(schema);
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const labelMarker = h('span', { class: 'marker' });
    const policyHint = h('span', { class: 'policy-hint' });
    const hintText = [HINTS[name], schema.description && !HINTS[name] ? schema.description : undefined]
      .filter(Boolean)
      .join(' ');
    const hint = h('p', { id: hintId, class: 'hint' }, hintText ? `${hintText} ` : '', policyHint);
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });

    const isMap = type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties;
    if (isMap) {
      const rows = h('div', { class: 'map-rows' });
      const add = h(
        'button',
        { type: 'button', class: 'button-secondary button-small', id },
        `Add ${label.toLowerCase().replace(/s$/, '')}`,
      );
      const container = h(
        'fieldset',
        { class: 'field map', 'data-field': name, 'aria-describedby': hintId },
        h('legend', {}, label, ' ', labelMarker),
        hint,
        error,
        rows,
        add,
      );
      const field: Field = {
        name,
        label,
        schema,
        kind: 'map',
        required,
        container,
        labelMarker,
        control: add,
        policyHint,
        error,
        touched: false,
        fixed: false,
        rows,
      };
      add.addEventListener('click', () => {
        const row = this.addMapRow(field);
        row.querySelector('input')?.focus();
        this.onChange();
      });
      this.setRequired(field, required);
      return field;
    }

    let control: Control;
    let kind: Kind;
    const policyDriven = ['environment', 'engine', 'deployment', 'size', 'engine_version'].includes(name);
    if (values || policyDriven) {
      kind = 'select';
      control = h('select', { id, name });
      if (values && !policyDriven) this.setOptions(control, values, undefined, !required);
    } else if (type === 'integer' || type === 'number') {
      kind = 'number';
      control = h('input', {
        id,
        name,
        type: 'number',
        inputmode: type === 'integer' ? 'numeric' : 'decimal',
        step: type === 'integer' ? 1 : 'any',
        min: schema.minimum,
        max: schema.maximum,
      });
    } else if (type === 'boolean') {
      kind = 'checkbox';
      control = h('input', { id, name, type: 'checkbox' });
    } else {
      kind = 'text';
      control = h('input', {
        id,
        name,
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        autocapitalize: 'none',
        pattern: htmlPattern(schema.pattern),
        maxlength: schema.maxLength,
        minlength: schema.minLength,
      });
    }
    describedBy(control, hintId, true);
    const labelElement = h('label', { for: id }, label, ' ', labelMarker);
    const container =
      kind === 'checkbox'
        ? h('div', { class: 'field field-checkbox', 'data-field': name }, control, labelElement, hint, error)
        : h('div', { class: 'field', 'data-field': name }, labelElement, hint, error, control);
    const field: Field = {
      name,
      label,
      schema,
      kind,
      required,
      container,
      labelMarker,
      control,
      policyHint,
      error,
      touched: false,
      fixed: false,
    };
    this.setRequired(field, required);
    return field;
  }

  private addMapRow(field: Field, key = '', value = ''): HTMLElement {
    const n = ++this.tagRowCount;
    const keyId = `${field.name}-key-${n}`;
    const valueId = `${field.name}-value-${n}`;
    const valueSchema =
      typeof field.schema.additionalProperties === 'object' ? field.schema.additionalProperties : {};
    const keyInput = h('input', {
      id: keyId,
      name: `${field.name}.key`,
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      'data-part': 'key',
      pattern: htmlPattern(field.schema.propertyNames?.pattern),
      maxlength: field.schema.propertyNames?.maxLength,
      value: key,
    });
    const valueInput = h('input', {
      id: valueId,
      name: `${field.name}.value`,
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      'data-part': 'value',
      pattern: htmlPattern(valueSchema.pattern),
      maxlength: valueSchema.maxLength,
      value,
    });
    const remove = h(
      'button',
      { type: 'button', class: 'button-secondary button-small' },
      'Remove',
      h('span', { class: 'visually-hidden' }, ` tag ${n}`),
    );
    const row = h(
      'div',
      { class: 'map-row' },
      h(
        'div',
        { class: 'map-cell' },
        h('label', { for: keyId }, 'Key', h('span', { class: 'visually-hidden' }, ` of tag ${n}`)),
        keyInput,
      ),
      h(
        'div',
        { class: 'map-cell' },
        h('label', { for: valueId }, 'Value', h('span', { class: 'visually-hidden' }, ` of tag ${n}`)),
        valueInput,
      ),
      remove,
    );
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      (next?.querySelector('input') ?? field.control).focus();
      this.onChange();
    });
    field.rows?.appendChild(row);
    return row;
  }

  private setRequired(field: Field, required: boolean): void {
    field.required = required;
    field.labelMarker.textContent = required ? '(required)' : '(optional)';
    field.labelMarker.className = required ? 'marker marker-required' : 'marker';
    if (field.kind === 'map') return;
    const control = field.control as Control;
    control.required = required;
    if (required) control.setAttribute('aria-required', 'true');
    else control.removeAttribute('aria-required');
  }

  /** Fills a select, marking the default; keeps the current choice when it is still offered. */
  private setOptions(
    select: HTMLSelectElement,
    values: string[],
    fallback: string | undefined,
    empty: boolean,
  ): void {
    const current = select.value;
    select.replaceChildren();
    if (empty) select.appendChild(h('option', { value: '' }, 'Not set'));
    for (const value of values) {
      select.appendChild(h('option', { value }, value === fallback ? `${value} (default)` : value));
    }
    select.value = values.includes(current) ? current : (fallback ?? (empty ? '' : (values[0] ?? '')));
  }

  private choose(
    name: string,
    allowed: string[],
    fallback: string | undefined,
    describe: string,
  ): string | undefined {
    const field = this.fields.get(name);
    if (field?.kind !== 'select') return undefined;
    const select = field.control as HTMLSelectElement;
    const schemaValues = enumOf(field.schema);
    const offered = schemaValues ? allowed.filter((v) => schemaValues.includes(v)) : allowed;
    const keep = field.touched && offered.includes(select.value) ? select.value : undefined;
    this.setOptions(select, offered, fallback, !field.required && offered.length === 0);
    select.value = keep ?? (fallback && offered.includes(fallback) ? fallback : (offered[0] ?? ''));
    field.policyHint.textContent = describe;
    return select.value || undefined;
  }

  /** Narrows every policy-driven control to what the chosen environment, engine and deployment allow. */
  private applyPolicy(): void {
    const environments = this.spec.environments;
    const envNames = Object.keys(environments);
    const envField = this.fields.get('environment');
    let envName = this.spec.default_environment;
    if (envField) {
      envName =
        this.choose(
          'environment',
          envNames,
          this.spec.default_environment,
          `Default: ${this.spec.default_environment}.`,
        ) ?? envName;
    }
    const env: EnvironmentPolicy | undefined = environments[envName];
    if (!env) return;

    const engines = Object.keys(env.engines);
    const engineName = this.choose(
      'engine',
      engines,
      undefined,
      `Allowed in ${envName}: ${engines.join(', ')}.`,
    );
    const engine = engineName ? env.engines[engineName] : undefined;

    let deployment: string | undefined;
    if (engine) {
      deployment = this.choose(
        'deployment',
        engine.deployments,
        engine.default_deployment,
        engine.deployments.length === 1
          ? `${engineName} in ${envName} runs only as ${engine.deployments[0]}.`
          : `Default for ${engineName} in ${envName}: ${engine.default_deployment}.`,
      );
      const versions = deployment ? engine.engine_versions[deployment] : undefined;
      this.choose(
        'engine_version',
        versions?.allowed ?? [],
        versions?.default,
        versions ? `Default for ${deployment}: ${versions.default}.` : '',
      );
    }

    this.choose(
      'size',
      env.sizes.allowed,
      env.sizes.default,
      `Allowed in ${envName}: ${env.sizes.allowed.join(', ')}; default ${env.sizes.default}.`,
    );

    const instances = this.fields.get('instances');
    if (instances && instances.kind === 'number') {
      const input = instances.control as HTMLInputElement;
      const single = deployment === 'instance';
      instances.fixed = single;
      input.readOnly = single;
      if (single) {
        input.min = '1';
        input.max = '1';
        input.value = '1';
        instances.policyHint.textContent = 'An instance deployment always has exactly one.';
      } else {
        const min = Math.max(env.instances.min, instances.schema.minimum ?? env.instances.min);
        const max = Math.min(env.instances.max, instances.schema.maximum ?? env.instances.max);
        input.min = String(min);
        input.max = String(max);
        const current = Number(input.value);
        const keep = instances.touched && input.value !== '' && current >= min && current <= max;
        if (!keep) input.value = String(env.instances.default);
        instances.policyHint.textContent = `${min} to ${max} in ${envName}; default ${env.instances.default}.`;
      }
    }

    const owner = this.fields.get('owner');
    if (owner) {
      const schemaRequired = (requestSchema(this.spec).required ?? []).includes('owner');
      this.setRequired(owner, schemaRequired || env.owner_required);
      owner.policyHint.textContent = env.owner_required ? `Required in ${envName}.` : '';
    }

    const tags = this.fields.get('tags');
    if (tags) {
      const max = tags.schema.maxProperties;
      tags.policyHint.textContent = max ? `At most ${max}.` : '';
    }
  }
}
