/**
 * Latency samples gathered over rounds. A fast machine yields hundreds of thousands a round: spreading
 * them into push() as arguments overflows the call stack, so they are appended one by one.
 */
export function appendSamples(into, samples) {
  for (const sample of samples) into.push(sample);
  return into;
}
