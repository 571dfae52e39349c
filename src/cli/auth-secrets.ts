import { readFile } from 'node:fs/promises';
import { invalidInput } from './exit-codes.js';
import { readErrorReason } from './read-input.js';

/** A credential read for a call, and where it came from: messages name the source, never the value. */
export interface Secret {
  value: string;
  source: string;
}

/** A secret from a file, or standard input for `-`, trimmed; `option` names the flag in every error. */
export async function readSecretFile(file: string, option: string): Promise<string> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) throw invalidInput([{ path: option, message: 'standard input is empty' }]);
    return text;
  }
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw invalidInput([{ path: option, message: `cannot read ${file}: ${readErrorReason(error)}` }]);
  }
  if (!text) throw invalidInput([{ path: option, message: `${file} is empty` }]);
  return text;
}

/**
 * A header carries visible ASCII only; anything else would fail as "cannot reach the server". `what`
 * says what it is ("the token", "the API key"); the error names the source's flag or variable.
 */
export function checkedHeaderValue(secret: Secret, what: string): Secret {
  if (!/^[\x21-\x7e]+$/.test(secret.value)) {
    const path = secret.source.split(' ')[0] as string;
    throw invalidInput([{ path, message: `${what} must be one word of visible ASCII characters` }]);
  }
  return secret;
}
