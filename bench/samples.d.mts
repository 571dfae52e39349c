/** Appends every sample to `into` and returns it; any number of samples. */
export function appendSamples(into: number[], samples: readonly number[]): number[];
