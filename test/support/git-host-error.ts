import { expect } from 'vitest';
import { GitHostError } from '../../src/ports.js';

/** The GitHostError the promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function gitHostError(promise: Promise<unknown>): Promise<GitHostError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitHostError);
    return error as GitHostError;
  }
  throw new Error('expected a GitHostError');
}
