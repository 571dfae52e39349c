#!/usr/bin/env node
/**
 * Regenerates the cost estimate's price table (src/domain/price-table.json) from AWS's public price list:
 * the AmazonRDS offer files, one per region, e.g.
 *
 *   curl -o eu-west-1.json https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonRDS/current/eu-west-1/index.json
 *   node scripts/price-table.mjs eu-west-1.json us-east-1.json            # rewrites src/domain/price-table.json
 *   node scripts/price-table.mjs --out table.json --region eu-west-1 FILE  # only eu-west-1, written elsewhere
 *
 * It keeps only the on-demand prices the estimate uses (src/domain/cost.ts), keyed as the spec names them:
 * - instance-hours ("Database Instance", usagetype InstanceUsage:<class> or Multi-AZUsage:<class>), per
 *   engine, class and Single-AZ / Multi-AZ, with each class's vCPUs;
 * - Aurora Serverless v2 ACU-hours ("ServerlessV2", usagetype Aurora:ServerlessV2Usage);
 * - gp3 storage (usagetype RDS:GP3-Storage, RDS:Multi-AZ-GP3-Storage) and Aurora storage (Aurora:StorageUsage);
 * - Performance Insights retention beyond the free 7 days: the first month (usagetype PI_LTR_FMR:…) and each
 *   month after it (PI_LTR_AMR:…), per vCPU-month or, for Serverless v2, per ACU-month.
 * Aurora I/O-Optimized, readable-standby clusters, Outposts and Local Zones, reserved terms, I/O requests,
 * backups and the rest are left out. Two SKUs giving one key different prices stop the script: a price
 * picked at random would be wrong half the time. The output is sorted, so regenerating gives the same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT = resolve(root, 'src/domain/price-table.json');

/** The offer's databaseEngine → the engine as the module names it; any other engine is left out. */
const ENGINES = {
  'Aurora MySQL': 'aurora-mysql',
  'Aurora PostgreSQL': 'aurora-postgresql',
  MySQL: 'mysql',
  PostgreSQL: 'postgres',
  MariaDB: 'mariadb',
};
const AURORA_ENGINES = ['aurora-mysql', 'aurora-postgresql'];
const DEPLOYMENT = { 'Single-AZ': 'singleAz', 'Multi-AZ': 'multiAz' };

/** usagetype = optional region prefix (none in us-east-1, e.g. EUW1- elsewhere) + what is used. */
const usage = (pattern) => new RegExp(`^(?:[A-Z0-9]+-)?${pattern}$`);
const INSTANCE_USAGE = usage('(InstanceUsage|Multi-AZUsage):(db\\.[a-z0-9-]+\\.[a-z0-9]+)');
const SERVERLESS_USAGE = usage('Aurora:ServerlessV2Usage');
const GP3_USAGE = usage('RDS:(Multi-AZ-)?GP3-Storage');
const AURORA_STORAGE_USAGE = usage('Aurora:StorageUsage');
const PI_RETENTION_USAGE = usage('PI_LTR_(FMR|AMR):[A-Za-z0-9.]+');

class OfferError extends Error {}

/** The single on-demand price of a SKU: its one term's dimension from 0 (tiers above it are not used). */
function onDemandPrice(offer, sku, file) {
  const terms = Object.values(offer.terms.OnDemand[sku] ?? {});
  if (terms.length === 0) return undefined;
  if (terms.length > 1) throw new OfferError(`${file}: SKU ${sku} has ${terms.length} on-demand terms`);
  const dimensions = Object.values(terms[0].priceDimensions ?? {}).filter(
    (d) => d.beginRange === undefined || d.beginRange === '0',
  );
  if (dimensions.length !== 1)
    throw new OfferError(`${file}: SKU ${sku} has ${dimensions.length} on-demand price dimensions from 0`);
  const [dimension] = dimensions;
  const usd = Number(dimension.pricePerUnit?.USD);
  if (!Number.isFinite(usd) || usd < 0)
    throw new OfferError(
      `${file}: SKU ${sku}: pricePerUnit.USD is not a price: ${dimension.pricePerUnit?.USD}`,
    );
  return { usd, unit: dimension.unit };
}

function newRegion() {
  return {
    instanceHour: {},
    serverlessAcuHour: {},
    gp3GbMonth: {},
    auroraStorageGbMonth: {},
    performanceInsights: {},
  };
}

/** Sets table[...path] = value; the same key priced twice must agree. */
function put(target, path, value, sku, file) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!Object.hasOwn(node, key)) node[key] = {};
    node = node[key];
  }
  const last = path.at(-1);
  if (Object.hasOwn(node, last) && node[last] !== value)
    throw new OfferError(
      `${file}: SKU ${sku} prices ${path.join('.')} at ${value}, another SKU at ${node[last]}`,
    );
  node[last] = value;
}

function expectUnit(price, expected, sku, file) {
  if (!expected.test(price.unit))
    throw new OfferError(`${file}: SKU ${sku}: unit ${price.unit} where ${expected} was expected`);
}

/** Adds one offer file's prices to the table. */
function extract(offer, file, table, regions) {
  if (offer?.formatVersion !== 'v1.0') throw new OfferError(`${file}: formatVersion must be v1.0`);
  if (offer.offerCode !== 'AmazonRDS') throw new OfferError(`${file}: offerCode must be AmazonRDS`);
  if (typeof offer.products !== 'object' || offer.products === null)
    throw new OfferError(`${file}: products is missing`);
  if (typeof offer.terms?.OnDemand !== 'object' || offer.terms.OnDemand === null)
    throw new OfferError(`${file}: terms.OnDemand is missing`);

  let kept = 0;
  for (const [sku, product] of Object.entries(offer.products)) {
    const a = product.attributes ?? {};
    // Outposts and Local Zones have prices of their own; a region's are "AWS Region".
    if (a.locationType !== 'AWS Region' || typeof a.regionCode !== 'string') continue;
    if (regions.size > 0 && !regions.has(a.regionCode)) continue;
    const key = classify(product.productFamily, a);
    if (!key) continue;
    const price = onDemandPrice(offer, sku, file);
    if (!price) continue;
    if (!Object.hasOwn(table.regions, a.regionCode)) table.regions[a.regionCode] = newRegion();
    const region = table.regions[a.regionCode];
    expectUnit(price, key.unit, sku, file);
    for (const path of key.paths) put(region, path, price.usd, sku, file);
    if (key.vcpus !== undefined) put(table.vcpus, [key.vcpus.instanceClass], key.vcpus.count, sku, file);
    kept += 1;
  }
  return kept;
}

/** Where a product's price goes in a region's table, and its unit; undefined for one the estimate does not use. */
function classify(family, a) {
  const engine = Object.hasOwn(ENGINES, a.databaseEngine) ? ENGINES[a.databaseEngine] : undefined;
  const usagetype = typeof a.usagetype === 'string' ? a.usagetype : '';
  if (family === 'Database Instance') {
    const match = INSTANCE_USAGE.exec(usagetype);
    const deployment = Object.hasOwn(DEPLOYMENT, a.deploymentOption)
      ? DEPLOYMENT[a.deploymentOption]
      : undefined;
    if (!match || !engine || !deployment) return undefined;
    if ((match[1] === 'Multi-AZUsage') !== (deployment === 'multiAz')) return undefined;
    const instanceClass = match[2];
    const count = Number(a.vcpu);
    return {
      unit: /^Hrs$/,
      paths: [['instanceHour', engine, instanceClass, deployment]],
      vcpus: Number.isInteger(count) && count > 0 ? { instanceClass, count } : undefined,
    };
  }
  if (family === 'ServerlessV2') {
    if (!SERVERLESS_USAGE.test(usagetype) || !AURORA_ENGINES.includes(engine)) return undefined;
    return { unit: /^ACU-Hr$/, paths: [['serverlessAcuHour', engine]] };
  }
  if (family === 'Database Storage') {
    const gp3 = GP3_USAGE.exec(usagetype);
    if (gp3) return { unit: /^GB-Mo$/, paths: [['gp3GbMonth', gp3[1] ? 'multiAz' : 'singleAz']] };
    if (!AURORA_STORAGE_USAGE.test(usagetype)) return undefined;
    const engines = AURORA_ENGINES.includes(engine)
      ? [engine]
      : a.databaseEngine === 'Any'
        ? AURORA_ENGINES
        : [];
    if (engines.length === 0) return undefined;
    return { unit: /^GB-Mo$/, paths: engines.map((e) => ['auroraStorageGbMonth', e]) };
  }
  if (family === 'Performance Insights') {
    const match = PI_RETENTION_USAGE.exec(usagetype);
    if (!match) return undefined;
    const month = match[1] === 'FMR' ? 'firstMonth' : 'additionalMonth';
    if (/Serverless/i.test(usagetype))
      return { unit: /^ACU-Months?$/i, paths: [['performanceInsights', 'acuMonth', month]] };
    return { unit: /^vCPU-Months?$/i, paths: [['performanceInsights', 'vcpuMonth', month]] };
  }
  return undefined;
}

/** A retention price needs both months; one without the other is dropped, with a word on stderr. */
function completeRetention(table) {
  for (const [name, region] of Object.entries(table.regions)) {
    for (const [unit, price] of Object.entries(region.performanceInsights)) {
      if (price.firstMonth !== undefined && price.additionalMonth !== undefined) continue;
      process.stderr.write(
        `price-table: ${name}: Performance Insights ${unit} has only one of firstMonth and additionalMonth; left out\n`,
      );
      delete region.performanceInsights[unit];
    }
  }
}

function sorted(value) {
  if (Array.isArray(value) || typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted(value[key])]),
  );
}

/** The table from the given offer files: { source, date, vcpus, regions }. */
export function priceTable(files, regions = new Set()) {
  const table = { vcpus: {}, regions: {} };
  const versions = [];
  const dates = [];
  let kept = 0;
  for (const file of files) {
    let offer;
    try {
      offer = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new OfferError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    kept += extract(offer, file, table, regions);
    if (typeof offer.publicationDate !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(offer.publicationDate))
      throw new OfferError(`${file}: publicationDate is missing`);
    versions.push(String(offer.version));
    dates.push(offer.publicationDate.slice(0, 10));
  }
  if (kept === 0)
    throw new OfferError(
      `${files.join(', ')}: no on-demand price the estimate uses${regions.size ? ' in the regions asked for' : ''}`,
    );
  completeRetention(table);
  return {
    source: `AWS Price List offer files, AmazonRDS on-demand, version ${[...new Set(versions)].sort().join(', ')}`,
    // The oldest file's date: no price in the table is newer than that.
    date: dates.sort()[0],
    vcpus: sorted(table.vcpus),
    regions: sorted(table.regions),
  };
}

function main(argv) {
  const files = [];
  const regions = new Set();
  let out = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out' || arg === '--region') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new OfferError(`${arg} needs a value`);
      if (arg === '--out') out = resolve(value);
      else regions.add(value);
      i += 1;
    } else if (arg.startsWith('--')) throw new OfferError(`unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0)
    throw new OfferError(
      'usage: node scripts/price-table.mjs [--out FILE] [--region REGION]... OFFER_FILE...',
    );
  const table = priceTable(files, regions);
  writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`);
  process.stdout.write(`price-table: ${Object.keys(table.regions).join(', ')} (${table.date}) → ${out}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OfferError)) throw error;
    process.stderr.write(`price-table: ${error.message}\n`);
    process.exit(1);
  }
}
