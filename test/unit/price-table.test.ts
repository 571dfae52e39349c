import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRICE_TABLE, parsePriceTable } from '../../src/domain/price-table.js';
import { tempDir } from '../support/server.js';

/**
 * scripts/price-table.mjs, run on small offer files shaped as AWS publishes them (test/fixtures/pricing:
 * AmazonRDS products with their attributes, terms.OnDemand price dimensions, and the SKUs a table must
 * leave out: I/O-Optimized, readable-standby clusters, Outposts, gp2, reserved terms, I/O requests…).
 */
const FIXTURES = 'test/fixtures/pricing';
const EU = join(FIXTURES, 'AmazonRDS-eu-west-1.json');
const US = join(FIXTURES, 'AmazonRDS-us-east-1.json');

function regenerate(...args: string[]) {
  const out = join(tempDir('price-table'), 'table.json');
  const run = spawnSync(process.execPath, ['scripts/price-table.mjs', '--out', out, ...args], {
    encoding: 'utf8',
  });
  return { ...run, out, text: run.status === 0 ? readFileSync(out, 'utf8') : '' };
}

/** The parts of an offer file the tests edit. */
interface Offer {
  offerCode: string;
  products: Record<string, { sku: string; attributes: Record<string, string> }>;
  terms: {
    OnDemand: Record<
      string,
      Record<string, { priceDimensions: Record<string, { pricePerUnit: { USD: string } }> }>
    >;
  };
}

/** An offer file edited from the eu-west-1 sample, written where the script can read it. */
function editedOffer(edit: (offer: Offer) => void): string {
  const offer = JSON.parse(readFileSync(EU, 'utf8')) as Offer;
  edit(offer);
  const path = join(tempDir('offer'), 'offer.json');
  writeFileSync(path, JSON.stringify(offer));
  return path;
}

describe('price table regeneration', () => {
  it('gives exactly the checked-in expectation from the sample offer files', () => {
    const run = regenerate(EU, US);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.text).toBe(readFileSync(join(FIXTURES, 'expected-price-table.json'), 'utf8'));
  });

  it("writes a table the estimate reads, dated by the oldest offer file, naming the files' versions", () => {
    const table = parsePriceTable(JSON.parse(regenerate(US, EU).text));
    expect(table.date).toBe('2026-11-20');
    expect(table.source).toBe(
      'AWS Price List offer files, AmazonRDS on-demand, version 20261120183512, 20261203090541',
    );
  });

  it('keeps only the regions asked for', () => {
    const table = parsePriceTable(JSON.parse(regenerate('--region', 'us-east-1', EU, US).text));
    expect(Object.keys(table.regions)).toEqual(['us-east-1']);
  });

  it('stops when two SKUs give one price different values, naming the key', () => {
    const copy = 'COPYOFTHESKU0001';
    const conflicting = editedOffer((offer) => {
      const [sku, product] = Object.entries(offer.products).find(
        ([, p]) =>
          p.attributes.usagetype === 'EUW1-InstanceUsage:db.t4g.medium' &&
          p.attributes.databaseEngine === 'MySQL',
      ) ?? ['', { sku: '', attributes: {} }];
      offer.products[copy] = { ...product, sku: copy };
      const terms: Offer['terms']['OnDemand'][string] = JSON.parse(
        JSON.stringify(offer.terms.OnDemand[sku]).replaceAll(sku, copy),
      );
      for (const term of Object.values(terms))
        for (const dimension of Object.values(term.priceDimensions))
          dimension.pricePerUnit.USD = '0.0700000000';
      offer.terms.OnDemand[copy] = terms;
    });
    const run = regenerate(conflicting);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /prices instanceHour\.mysql\.db\.t4g\.medium\.singleAz at (0\.07|0\.068), another SKU at (0\.068|0\.07)/,
    );
  });

  it('refuses a file that is not the AmazonRDS offer, or no file at all', () => {
    const ec2 = editedOffer((offer) => {
      offer.offerCode = 'AmazonEC2';
    });
    const wrong = regenerate(ec2);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('offerCode must be AmazonRDS');
    const none = regenerate();
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('usage: node scripts/price-table.mjs');
  });

  it('refuses an offer file without a price the estimate uses', () => {
    const run = regenerate('--region', 'ap-south-1', EU);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no on-demand price the estimate uses in the regions asked for');
  });
});

describe("the repository's price table", () => {
  it('has the shape the estimate reads, with its source and date', () => {
    expect(PRICE_TABLE.source).toMatch(/AmazonRDS/);
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(parsePriceTable(JSON.parse(readFileSync('src/domain/price-table.json', 'utf8')))).toEqual(
      PRICE_TABLE,
    );
  });

  it('is refused with the bad key named when its shape is wrong', () => {
    expect(() => parsePriceTable({ ...PRICE_TABLE, date: 'yesterday' })).toThrow(/price table: date:/);
  });
});
