/**
 * A record is started only with this much of the invocation left: one request takes a few seconds of
 * paced GitHub calls, and a timeout mid-batch would send every unsettled record back only after the
 * queue's visibility timeout. A record not started is made visible again at once.
 */
export const TIME_RESERVE_MS = 15_000;
