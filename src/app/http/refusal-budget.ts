/**
 * How many refused credentials (401) a second one server records in the audit trail one by one: anyone
 * can send them, so without a bound a stranger could grow the trail as fast as they can send requests.
 * Past the bound they are counted, and the count goes into the next entry recorded.
 */
export const REFUSALS_RECORDED_PER_SECOND = 10;

export class RefusalBudget {
  private second = Number.NaN;
  private recorded = 0;
  private dropped = 0;

  constructor(private readonly perSecond = REFUSALS_RECORDED_PER_SECOND) {}

  /**
   * Whether this refusal is recorded: null when the second's budget is spent (it is counted instead),
   * else how many were counted, not recorded, since the last one recorded.
   */
  take(now: Date): number | null {
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.recorded = 0;
    }
    if (this.recorded >= this.perSecond) {
      this.dropped++;
      return null;
    }
    this.recorded++;
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}
