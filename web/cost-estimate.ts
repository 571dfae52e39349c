import type { CostEstimate } from './api.js';
import { type Child, dataCell, dataTable, definitionList, h } from './dom.js';

/**
 * The estimated monthly cost of a database as the service works it out (the dry run, a change's preview,
 * GET /requests/{id}): the total (a range for Aurora Serverless v2, minimum to maximum capacity), a
 * change's difference, each line, what is not counted, and where the prices come from and when.
 */

type Range = CostEstimate['monthly'];
type Heading = 'h3' | 'h4' | 'h5';

export function costEstimate(cost: CostEstimate, id: string, heading: Heading): HTMLElement {
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: cost.currency });
  const amount = (range: Range, signed = false) => rangeText(range, money, signed);
  const rows: [string, Child | Child[]][] = [
    ['Monthly', h('strong', { class: 'cost-total', id: `${id}-total` }, `${amount(cost.monthly)} a month`)],
  ];
  if (cost.before) rows.push(['Before this change', `${amount(cost.before)} a month`]);
  if (cost.difference)
    rows.push([
      'Difference',
      h(
        'span',
        { class: `cost-difference cost-${direction(cost.difference)}`, id: `${id}-difference` },
        `${amount(cost.difference, true)} a month`,
      ),
    ]);
  return h(
    'section',
    { class: 'cost-estimate', id, 'aria-labelledby': `${id}-title` },
    h(heading, { id: `${id}-title` }, 'Estimated cost'),
    definitionList({ class: 'meta' }, rows),
    cost.monthly.low !== cost.monthly.high
      ? h(
          'p',
          { class: 'hint' },
          'A range: Aurora Serverless v2 is billed by the capacity it uses, from its minimum to its maximum.',
        )
      : null,
    cost.lines.length
      ? dataTable(
          { id: `${id}-lines` },
          'What the estimate counts, a month',
          ['Item', 'A month'],
          h(
            'tbody',
            { role: 'rowgroup' },
            ...cost.lines.map((line) =>
              h(
                'tr',
                { role: 'row' },
                h('th', { scope: 'row', role: 'rowheader', 'data-label': 'Item' }, line.item),
                dataCell('A month', amount(line)),
              ),
            ),
          ),
        )
      : null,
    cost.not_counted.length
      ? h(
          'p',
          { class: 'cost-not-counted', id: `${id}-not-counted` },
          'Not counted: ',
          cost.not_counted.join('; '),
          '.',
        )
      : null,
    h(
      'p',
      { class: 'hint cost-prices', id: `${id}-prices` },
      `Prices in ${cost.currency} for ${cost.region}, from ${cost.prices.source}, dated ${cost.prices.date}.`,
    ),
  );
}

/** "$12.34", "$43.80 – $350.40"; signed: "+$12.34", "−$5.00", "±$0.00". */
function rangeText(range: Range, money: Intl.NumberFormat, signed: boolean): string {
  const one = (value: number) => {
    const text = money.format(Math.abs(value));
    if (!signed) return value < 0 ? `−${text}` : text;
    return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${text}`;
  };
  return range.low === range.high ? one(range.low) : `${one(range.low)} – ${one(range.high)}`;
}

const direction = (range: Range) =>
  range.low > 0 && range.high > 0 ? 'up' : range.low < 0 && range.high < 0 ? 'down' : 'mixed';
