import { distance } from 'fastest-levenshtein';

/** Edits (ignoring case) within which a typo is taken to mean an allowed value. */
const MAX_EDITS = 2;

/** `; did you mean X?` for the allowed value a typo most likely meant, or nothing when none is close. */
export function didYouMean(input: unknown, allowed: readonly string[]): string {
  if (typeof input !== 'string' || input === '') return '';
  const typed = input.toLowerCase();
  let best: string | undefined;
  let bestEdits = MAX_EDITS + 1;
  for (const candidate of allowed) {
    const edits = distance(typed, candidate.toLowerCase());
    if (edits < bestEdits) {
      best = candidate;
      bestEdits = edits;
    }
  }
  return best === undefined ? '' : `; did you mean ${best}?`;
}
