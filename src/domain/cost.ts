/**
 * The estimated monthly cost of a resolved database, from the price table kept in the repository.
 * (Contract stub: the estimate itself is filled in by the cost work.)
 */

/** A monthly amount in USD: a range for Aurora Serverless v2 (min to max ACU), else low equals high. */
export interface MonthlyRange {
  low: number;
  high: number;
}

export interface CostLine extends MonthlyRange {
  /** e.g. `2 × db.r7g.large (Aurora MySQL), 730 h`. */
  item: string;
}

export interface CostEstimate {
  currency: 'USD';
  region: string;
  monthly: MonthlyRange;
  lines: CostLine[];
  /** A change: the estimate of the database before it, and after − before. Null otherwise. */
  before: MonthlyRange | null;
  difference: MonthlyRange | null;
  /** What the estimate leaves out, in plain words (I/O, backups beyond the free allowance, data transfer…). */
  notCounted: string[];
  /** Where the prices come from and their date. */
  prices: { source: string; date: string };
}
