#!/usr/bin/env node
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { runExtractor } from './fixture-extractor.mjs';

const PACKAGE_NAME = '@cdktf/provider-aws';
const PACKAGE_VERSION = '21.22.1';
const PROVIDER_SOURCE = 'registry.terraform.io/hashicorp/aws';
const PROVIDER_VERSION = '6.25.0';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const terraformDir = join(root, 'terraform');
const defaultOut = join(root, 'test', 'fixtures', 'aws-provider-schema.json');

/** Types the RDS module is likely to use, extracted even before any .tf file mentions them. */
const EXTRA_RESOURCES = [
  'aws_cloudwatch_log_group',
  'aws_db_instance',
  'aws_db_parameter_group',
  'aws_db_subnet_group',
  'aws_iam_role',
  'aws_iam_role_policy_attachment',
  'aws_kms_alias',
  'aws_kms_key',
  'aws_rds_cluster',
  'aws_rds_cluster_instance',
  'aws_rds_cluster_parameter_group',
  'aws_security_group',
  'aws_vpc_security_group_egress_rule',
  'aws_vpc_security_group_ingress_rule',
];
const EXTRA_DATA_SOURCES = [
  'aws_caller_identity',
  'aws_iam_policy_document',
  'aws_partition',
  'aws_region',
  'aws_subnet',
];

const COMPUTED_COMMENT =
  /\/\/ ([A-Za-z0-9_]+) - computed: (true|false), optional: (true|false), required: (true|false)/g;

// ---------------------------------------------------------------------------------------------------------
// Which types the repository uses

function listTfFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // .terraform/, editor files
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTfFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.tf')) out.push(path);
  }
  return out.sort();
}

/** `resource "TYPE"` and `data "TYPE"` headers; a text scan so that a half-written file still counts. */
function scanUsedTypes() {
  const resources = new Set();
  const dataSources = new Set();
  for (const file of listTfFiles(terraformDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(resource|data)\s+"([^"]+)"/gm)) {
      (m[1] === 'resource' ? resources : dataSources).add(m[2]);
    }
  }
  return { resources, dataSources };
}

// ---------------------------------------------------------------------------------------------------------
// Reading one generated cdktf module

const stripSourceMap = (text) => text.replace(/\n\/\/# sourceMappingURL=.*$/s, '\n');

function libDirFor(libDir, kind, type) {
  const base = kind === 'data' ? `data-${type}` : type.replace(/^aws_/, '');
  return join(libDir, base.replace(/_/g, '-'));
}

let tfTypeIndex;
/** Fallback when a type's directory is not where the naming rule puts it: scan every module once. */
function findLibDirByScan(libDir, kind, type) {
  if (!tfTypeIndex) {
    tfTypeIndex = new Map();
    for (const dir of readdirSync(libDir)) {
      const dts = join(libDir, dir, 'index.d.ts');
      if (!existsSync(dts)) continue;
      const text = readFileSync(dts, 'utf8');
      const m = /static readonly tfResourceType = "([^"]+)"/.exec(text);
      const base = /extends cdktf\.(TerraformResource|TerraformDataSource|TerraformProvider)\b/.exec(text);
      if (m && base) tfTypeIndex.set(`${base[1]}:${m[1]}`, join(libDir, dir));
    }
  }
  const baseClass = kind === 'data' ? 'TerraformDataSource' : 'TerraformResource';
  return tfTypeIndex.get(`${baseClass}:${type}`);
}

const nameOf = (node) =>
  node && (ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isPrivateIdentifier(node))
    ? node.text
    : undefined;

function walk(node, visit) {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** The object literal of `const attrs = { ... }` inside a function or method body. */
function findAttrsLiteral(node) {
  let found;
  walk(node, (n) => {
    if (
      !found &&
      ts.isVariableDeclaration(n) &&
      nameOf(n.name) === 'attrs' &&
      n.initializer &&
      ts.isObjectLiteralExpression(n.initializer)
    ) {
      found = n.initializer;
    }
  });
  return found;
}

class GeneratedModule {
  constructor(dir) {
    this.dir = dir;
    const jsText = stripSourceMap(readFileSync(join(dir, 'index.js'), 'utf8'));
    const dtsText = readFileSync(join(dir, 'index.d.ts'), 'utf8');
    this.js = ts.createSourceFile('index.js', jsText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
    this.dts = ts.createSourceFile('index.d.ts', dtsText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);

    this.functions = new Map(); // converter name -> FunctionDeclaration (JS)
    this.classes = new Map(); // class name -> ClassDeclaration (JS)
    this.staticTypes = new Map(); // class name -> tfResourceType (JS)
    for (const stmt of this.js.statements) {
      if (ts.isFunctionDeclaration(stmt) && stmt.name) this.functions.set(stmt.name.text, stmt);
      else if (ts.isClassDeclaration(stmt) && stmt.name) this.classes.set(stmt.name.text, stmt);
      else if (
        ts.isExpressionStatement(stmt) &&
        ts.isBinaryExpression(stmt.expression) &&
        ts.isPropertyAccessExpression(stmt.expression.left) &&
        stmt.expression.left.name.text === 'tfResourceType' &&
        ts.isStringLiteral(stmt.expression.right)
      ) {
        this.staticTypes.set(stmt.expression.left.expression.getText(), stmt.expression.right.text);
      }
    }

    this.interfaces = new Map(); // interface name -> Map(prop -> { optional, array, isBlockDoc, docs })
    this.converterParams = new Map(); // converter name -> its parameter's type node (d.ts)
    this.dtsClasses = new Map(); // class name -> { base, configType }
    for (const stmt of this.dts.statements) {
      if (ts.isInterfaceDeclaration(stmt)) {
        const props = new Map();
        for (const member of stmt.members) {
          if (!ts.isPropertySignature(member)) continue;
          const name = nameOf(member.name);
          if (!name) continue;
          const docs = member
            .getFullText()
            .slice(0, member.getLeadingTriviaWidth())
            .replace(/^\s*\/\*\*|\*\/\s*$/g, '');
          props.set(name, {
            optional: Boolean(member.questionToken),
            array: isArrayType(member.type),
            docs,
          });
        }
        this.interfaces.set(stmt.name.text, props);
      } else if (ts.isFunctionDeclaration(stmt) && stmt.name) {
        const param = stmt.parameters[0];
        if (param?.type) this.converterParams.set(stmt.name.text, param.type);
      } else if (ts.isClassDeclaration(stmt) && stmt.name) {
        const heritage = stmt.heritageClauses?.[0]?.types[0]?.expression.getText();
        let configType;
        for (const member of stmt.members) {
          if (ts.isConstructorDeclaration(member)) {
            const config = member.parameters.find((p) => nameOf(p.name) === 'config');
            if (config?.type) configType = localTypeName(config.type);
          }
        }
        this.dtsClasses.set(stmt.name.text, { base: heritage, configType });
      }
    }
  }

  /** The struct interface a converter takes (`Foo | cdktf.IResolvable`, `FooOutputReference | Foo`). */
  structOf(converter) {
    const type = this.converterParams.get(converter);
    const members = type && ts.isUnionTypeNode(type) ? type.types : type ? [type] : [];
    for (const t of members) {
      const name = localTypeName(t);
      if (name && this.interfaces.has(name)) return name;
    }
    return undefined;
  }

  /** The class cdktf generated for the resource, data source or provider itself. */
  mainClass(expectedBase, expectedType) {
    for (const [name, info] of this.dtsClasses) {
      if (info.base !== `cdktf.${expectedBase}`) continue;
      if (this.staticTypes.get(name) !== expectedType) continue;
      const cls = this.classes.get(name);
      if (!cls) continue;
      return { name, cls, configType: info.configType };
    }
    return undefined;
  }
}

function isArrayType(typeNode) {
  if (!typeNode) return false;
  if (ts.isArrayTypeNode(typeNode)) return true;
  if (ts.isTypeReferenceNode(typeNode) && typeNode.typeName.getText() === 'Array') return true;
  if (ts.isUnionTypeNode(typeNode)) return typeNode.types.some(isArrayType);
  if (ts.isParenthesizedTypeNode(typeNode)) return isArrayType(typeNode.type);
  return false;
}

/** `Foo | cdktf.IResolvable` -> "Foo"; `Foo[] | cdktf.IResolvable` -> "Foo". */
function localTypeName(typeNode) {
  if (ts.isTypeReferenceNode(typeNode) && ts.isIdentifier(typeNode.typeName)) return typeNode.typeName.text;
  if (ts.isArrayTypeNode(typeNode)) return localTypeName(typeNode.elementType);
  if (ts.isUnionTypeNode(typeNode)) {
    for (const t of typeNode.types) {
      const name = localTypeName(t);
      if (name) return name;
    }
  }
  if (ts.isParenthesizedTypeNode(typeNode)) return localTypeName(typeNode.type);
  return undefined;
}

/** Reads one entry `name: { value: ..., isBlock, type, storageClassType }` of an attrs literal. */
function readAttrEntry(mod, prop) {
  const tfName = nameOf(prop.name);
  if (!tfName || !ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer)) {
    throw new Error(`${mod.dir}: unexpected attrs entry ${prop.getText().slice(0, 80)}`);
  }
  const entry = { tfName, isBlock: false, type: undefined, storageClassType: undefined, value: undefined };
  for (const p of prop.initializer.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const key = nameOf(p.name);
    if (key === 'value') entry.value = p.initializer;
    else if (key === 'isBlock') entry.isBlock = p.initializer.kind === ts.SyntaxKind.TrueKeyword;
    else if (key === 'type' && ts.isStringLiteral(p.initializer)) entry.type = p.initializer.text;
    else if (key === 'storageClassType' && ts.isStringLiteral(p.initializer))
      entry.storageClassType = p.initializer.text;
  }
  if (!entry.value || !entry.type || !entry.storageClassType) {
    throw new Error(`${mod.dir}: attrs entry ${tfName} lacks value/type/storageClassType`);
  }
  // The nested struct converter (a local function), whether a list mapper treats it as a block, and the
  // property the value is read from (`struct.fooBar` or `this._fooBar`).
  entry.converter = undefined;
  entry.listMapperBlock = undefined;
  entry.source = undefined;
  walk(entry.value, (n) => {
    if (ts.isIdentifier(n) && n.text.endsWith('ToHclTerraform') && mod.functions.has(n.text)) {
      const parent = n.parent;
      const qualified = ts.isPropertyAccessExpression(parent) && parent.name === n;
      if (!qualified && !entry.converter) entry.converter = n.text;
    }
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'listMapperHcl' &&
      n.arguments[0] &&
      ts.isIdentifier(n.arguments[0]) &&
      mod.functions.has(n.arguments[0].text)
    ) {
      const flag = n.arguments[1];
      entry.listMapperBlock = flag ? flag.kind === ts.SyntaxKind.TrueKeyword : undefined;
    }
    if (ts.isPropertyAccessExpression(n) && !entry.source) {
      if (n.expression.kind === ts.SyntaxKind.ThisKeyword) entry.source = { on: 'this', name: n.name.text };
      else if (ts.isIdentifier(n.expression) && n.expression.text === 'struct')
        entry.source = { on: 'struct', name: n.name.text };
    }
  });
  if (!entry.source) throw new Error(`${mod.dir}: cannot tell which property feeds ${tfName}`);
  return entry;
}

/** `this._foo = config.bar` and `this._foo.internalValue = config.bar` in the constructor. */
function constructorFieldMap(cls) {
  const map = new Map();
  const ctor = cls.members.find(ts.isConstructorDeclaration);
  if (!ctor?.body) return map;
  for (const stmt of ctor.body.statements) {
    if (!ts.isExpressionStatement(stmt) || !ts.isBinaryExpression(stmt.expression)) continue;
    const { left, right } = stmt.expression;
    if (stmt.expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
    if (!ts.isPropertyAccessExpression(right) || right.expression.getText() !== 'config') continue;
    let target = left;
    if (ts.isPropertyAccessExpression(target) && target.name.text === 'internalValue')
      target = target.expression;
    if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword) {
      map.set(target.name.text, right.name.text);
    }
  }
  return map;
}

/** Names the generator commented as computed-only (`computed: true, optional: false, required: false`). */
function computedOnlyNames(cls) {
  const names = new Set();
  if (!cls) return names;
  for (const m of cls.getFullText().matchAll(COMPUTED_COMMENT)) {
    if (m[2] === 'true' && m[3] === 'false' && m[4] === 'false') names.add(m[1]);
  }
  return names;
}

function attributeType(entry) {
  const { type, storageClassType: sct } = entry;
  const scalar = { string: 'string', number: 'number', boolean: 'bool', any: 'dynamic' };
  if (type === 'simple') return scalar[sct] ?? sct;
  const inner = (s) => {
    if (scalar[s]) return scalar[s];
    if (s.endsWith('List') && scalar[s.slice(0, -4)]) return `list(${scalar[s.slice(0, -4)]})`;
    if (s.endsWith('Map') && scalar[s.slice(0, -3)]) return `map(${scalar[s.slice(0, -3)]})`;
    return undefined;
  };
  if (entry.converter) {
    if (type === 'struct') return 'object';
    return `${type}(object)`;
  }
  if (type === 'list' || type === 'set') {
    const element = sct.endsWith('List') ? inner(sct.slice(0, -4)) : undefined;
    return element ? `${type}(${element})` : `${type}(dynamic)`;
  }
  if (type === 'map') {
    const element = sct.endsWith('Map') ? inner(sct.slice(0, -3)) : undefined;
    return element ? `map(${element})` : 'map(dynamic)';
  }
  return type;
}

/**
 * Builds a block schema from an attrs literal.
 * @param ctx { mod, typeName, path, fieldToConfig, iface, outputClass, provider, depth }
 */
function buildBlock(ctx, attrsLiteral) {
  const { mod } = ctx;
  const block = { attributes: {}, block_types: {} };
  const iface = mod.interfaces.get(ctx.iface);
  if (!iface)
    throw new Error(`${mod.dir}: interface ${ctx.iface} not found (at ${ctx.path || ctx.typeName})`);
  const settable = new Set();

  for (const prop of attrsLiteral?.properties ?? []) {
    const entry = readAttrEntry(mod, prop);
    settable.add(entry.tfName);
    const configProp =
      entry.source.on === 'this' ? ctx.fieldToConfig.get(entry.source.name) : entry.source.name;
    const info = configProp ? iface.get(configProp) : undefined;
    if (!info) {
      throw new Error(`${mod.dir}: no config property for ${ctx.path}${entry.tfName} in ${ctx.iface}`);
    }
    const where = `${ctx.typeName}.${ctx.path}${entry.tfName}`;
    // cdktf documents every nested block (and nothing else) as "<name> block".
    const blockDoc = new RegExp(`^\\s*\\*\\s*${entry.tfName} block\\s*$`, 'm').test(info.docs);
    if (ctx.provider && entry.tfName === 'alias') continue; // cdktf adds it; a meta-argument in Terraform

    if (blockDoc) {
      if (!entry.isBlock || !entry.converter) throw new Error(`${where}: documented as a block but not one`);
      const nesting = entry.type === 'struct' ? 'single' : entry.type;
      if (!['single', 'list', 'set', 'map'].includes(nesting))
        throw new Error(`${where}: nesting ${nesting}`);
      const bt = { nesting_mode: nesting, block: undefined };
      if (!info.optional) bt.min_items = 1;
      if ((nesting === 'list' || nesting === 'set') && !info.array && !ctx.provider) bt.max_items = 1;
      if (nesting === 'single') bt.max_items = 1;
      bt.block = nested(ctx, entry);
      block.block_types[entry.tfName] = bt;
    } else {
      const attr = { type: attributeType(entry) };
      if (info.optional) attr.optional = true;
      else attr.required = true;
      if (entry.converter) attr.nested = nested(ctx, entry).attributes;
      block.attributes[entry.tfName] = attr;
    }
  }

  for (const name of computedOnlyNames(ctx.outputClass)) {
    if (settable.has(name) || (ctx.provider && name === 'alias')) continue;
    block.attributes[name] = { computed: true };
  }
  return block;
}

function nested(ctx, entry) {
  const { mod } = ctx;
  const structName = mod.structOf(entry.converter);
  if (!structName) throw new Error(`${mod.dir}: no struct type for ${entry.converter}`);
  if (ctx.depth > 12) throw new Error(`${mod.dir}: nesting too deep at ${ctx.path}${entry.tfName}`);
  const fn = mod.functions.get(entry.converter);
  return buildBlock(
    {
      mod,
      typeName: ctx.typeName,
      path: `${ctx.path}${entry.tfName}.`,
      fieldToConfig: new Map(),
      iface: structName,
      outputClass: mod.classes.get(`${structName}OutputReference`),
      provider: ctx.provider,
      depth: ctx.depth + 1,
    },
    findAttrsLiteral(fn),
  );
}

function extractType(libDir, kind, type) {
  const baseClass = {
    resource: 'TerraformResource',
    data: 'TerraformDataSource',
    provider: 'TerraformProvider',
  }[kind];
  const candidates = [kind === 'provider' ? join(libDir, 'provider') : libDirFor(libDir, kind, type)];
  let found;
  for (const dir of candidates) {
    if (!existsSync(join(dir, 'index.js'))) continue;
    const mod = new GeneratedModule(dir);
    const main = mod.mainClass(baseClass, type);
    if (main) found = { mod, main };
  }
  if (!found && kind !== 'provider') {
    const dir = findLibDirByScan(libDir, kind, type);
    if (dir) {
      const mod = new GeneratedModule(dir);
      const main = mod.mainClass(baseClass, type);
      if (main) found = { mod, main };
    }
  }
  if (!found) return undefined;

  const { mod, main } = found;
  const method = main.cls.members.find(
    (m) => ts.isMethodDeclaration(m) && nameOf(m.name) === 'synthesizeHclAttributes',
  );
  if (!method) throw new Error(`${mod.dir}: ${main.name} has no synthesizeHclAttributes()`);
  const version = /providerVersion: '([^']+)'/.exec(main.cls.getText())?.[1];
  if (version !== PROVIDER_VERSION) {
    throw new Error(`${mod.dir}: generated from provider ${version}, expected ${PROVIDER_VERSION}`);
  }
  return buildBlock(
    {
      mod,
      typeName: type,
      path: '',
      fieldToConfig: constructorFieldMap(main.cls),
      iface: main.configType,
      outputClass: main.cls,
      provider: kind === 'provider',
      depth: 0,
    },
    findAttrsLiteral(method),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Output

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

function countBlocks(block) {
  let n = 0;
  for (const bt of Object.values(block.block_types)) n += 1 + countBlocks(bt.block);
  return n;
}

runExtractor({
  script: 'node scripts/extract-provider-schema.mjs',
  name: PACKAGE_NAME,
  version: PACKAGE_VERSION,
  sizeNote: 'about 400 MB',
  envVar: 'PROVIDER_AWS_DIR',
  defaultOut,
  extract: (packageDir) => {
    const libDir = join(packageDir, 'lib');

    const used = scanUsedTypes();
    const resources = new Set([...EXTRA_RESOURCES, ...used.resources]);
    const dataSources = new Set([...EXTRA_DATA_SOURCES, ...used.dataSources]);

    const schema = {
      format_version: 1,
      generated_by: 'scripts/extract-provider-schema.mjs (npm run schema:extract)',
      source: {
        package: PACKAGE_NAME,
        package_version: PACKAGE_VERSION,
        provider: PROVIDER_SOURCE,
        provider_version: PROVIDER_VERSION,
      },
      notes: [
        'Per type: block.attributes (required | optional | computed-only) and block.block_types (nested blocks with nesting_mode, min_items, max_items), as cdktf generated them from the provider schema.',
        'cdktf does not encode: optional+computed (shown as optional), max_items other than 1, min_items other than 0/1, deprecation, sensitivity, conflicts_with/exactly_one_of/at_least_one_of and value validation.',
        'Attributes of type list/set(object) may also be written as blocks (Terraform "attributes as blocks"); their fields are in "nested".',
        'The provider blocks: cdktf models every provider block as a list, so max_items is not known for them; "alias" (added by cdktf) is left out, being a meta-argument.',
        'Computed-only attributes carry no type; computed-only nested blocks (e.g. master_user_secret) are computed-only attributes.',
      ],
      not_covered: [],
      provider: {},
      resource_schemas: {},
      data_source_schemas: {},
    };

    const providerBlock = extractType(libDir, 'provider', 'aws');
    if (!providerBlock) throw new Error('provider configuration class not found');
    schema.provider.aws = { block: providerBlock };

    for (const [kind, set, target] of [
      ['resource', resources, schema.resource_schemas],
      ['data', dataSources, schema.data_source_schemas],
    ]) {
      for (const type of [...set].sort()) {
        if (!type.startsWith('aws_')) {
          schema.not_covered.push(`${kind} ${type}`);
          console.error(`warning: ${kind} "${type}" is not from hashicorp/aws; the fixture cannot cover it`);
          continue;
        }
        const block = extractType(libDir, kind, type);
        if (!block) {
          schema.not_covered.push(`${kind} ${type}`);
          console.error(`warning: ${kind} "${type}" does not exist in hashicorp/aws ${PROVIDER_VERSION}`);
          continue;
        }
        target[type] = { block };
      }
    }

    // The header first, in this order; everything below it sorted by key.
    const text = `${JSON.stringify(
      Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, sortKeys(v)])),
      null,
      2,
    )}\n`;
    const summary =
      `${Object.keys(schema.resource_schemas).length} resource types, ` +
      `${Object.keys(schema.data_source_schemas).length} data sources, provider block ` +
      `(${countBlocks(providerBlock)} nested block types)`;
    return { text, summary };
  },
});
