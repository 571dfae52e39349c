// Rounds of bench/load.mjs against several targets: what each answered, checked, and summed per target.
import { percentile } from './lib.mjs';
import { appendSamples } from './samples.mjs';

/** A load.mjs result, refused unless every answer was 2xx. */
export function allAccepted(name, r) {
  if (Object.keys(r.other).length > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(
      `${name} answered other than 2xx: ${JSON.stringify({ other: r.other, errors: r.errors, timeouts: r.timeouts })}`,
    );
  }
  return r;
}

/** Totals per target name over the measured rounds, and a summary of each round. */
export function loadTally(names) {
  const totals = Object.fromEntries(names.map((n) => [n, { ok: 0, seconds: 0, latencies: [], cpu: 0 }]));
  const rounds = [];
  return {
    totals,
    rounds,
    /** One measured run: its load.mjs result and the server CPU ms it took. */
    add(round, name, r, cpu) {
      const t = totals[name];
      t.ok += r.ok;
      t.seconds += r.seconds;
      t.cpu += cpu;
      appendSamples(t.latencies, r.latencies);
      rounds.push({
        round,
        name,
        rps: Math.round(r.ok / r.seconds),
        p50: Number(percentile(r.latencies, 50).toFixed(2)),
        cpuPerRequestMs: Number((cpu / r.ok).toFixed(3)),
      });
    },
    rps: (n) => totals[n].ok / totals[n].seconds,
    latency: (n, p) => percentile(totals[n].latencies, p),
    cpu: (n) => totals[n].cpu / totals[n].ok,
  };
}
