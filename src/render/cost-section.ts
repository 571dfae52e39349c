import { type CostEstimate, type MonthlyRange, missingPrices } from '../domain/cost.js';

/**
 * The pull request's "Estimated cost" section, from an estimate (src/domain/cost.ts): the monthly USD (a
 * range for Serverless v2), a change's difference or a retirement's saving, the lines, what is not counted,
 * and where the prices come from. Pure.
 */

const usd = (amount: number) =>
  `${amount < 0 ? '-' : ''}$${Math.abs(amount).toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  })}`;

/** `$1.00`, or `$1.00–$4.00` for a range. */
export const monthlyText = ({ low, high }: MonthlyRange) =>
  low === high ? usd(low) : `${usd(low)}–${usd(high)}`;

const signed = (amount: number) => (amount > 0 ? `+${usd(amount)}` : usd(amount));
const differenceText = ({ low, high }: MonthlyRange) =>
  low === high ? signed(low) : `${signed(low)} to ${signed(high)}`;

/** What a retirement saves: the database's estimate today. */
const savingText = ({ low, high }: MonthlyRange) => monthlyText({ low: -high, high: -low });

export type CostSectionKind = 'create' | 'change' | 'retire';

export function costSection(cost: CostEstimate, kind: CostSectionKind): string[] {
  // A region name is an AWS region (the policy checks it), so a plain code span holds it.
  const where = `in \`${cost.region}\`, on-demand`;
  const partial = missingPrices(cost).length > 0;
  const forWhat = partial ? ', for what the price table prices (see below)' : '';
  const priced =
    cost.lines.length > 0 || (cost.before !== null && (cost.before.low > 0 || cost.before.high > 0));
  const summary = !priced
    ? `No estimate ${where}: the price table has no price for what this database uses (see below).`
    : kind === 'retire'
      ? `Retiring it saves about ${savingText(cost.difference ?? cost.monthly)} a month${forWhat}: what it is estimated to cost ${where}, today.`
      : kind === 'change' && cost.before && cost.difference
        ? `After the change, about ${monthlyText(cost.monthly)} a month ${where}${forWhat}; before it, ${monthlyText(cost.before)}: ${differenceText(cost.difference)} a month.`
        : `About ${monthlyText(cost.monthly)} a month ${where}${forWhat}.`;
  return [
    '## Estimated cost',
    '',
    summary,
    ...(cost.lines.length > 0
      ? ['', ...cost.lines.map((line) => `- ${line.item}: ${monthlyText(line)}`)]
      : []),
    '',
    'Not counted:',
    '',
    ...cost.notCounted.map((note) => `- ${note}`),
    '',
    `Prices: ${cost.prices.source}, ${cost.prices.date}.`,
  ];
}
