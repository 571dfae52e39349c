/** A git object id written in full: SHA-1 (40) or SHA-256 (64) lower-case hexadecimal digits. */
export const isObjectId = (value: string): boolean => /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
