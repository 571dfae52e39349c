import * as z from 'zod';

/**
 * Names from a request or the policy file are looked up as own keys only: `constructor`, `toString`
 * and their kind are inherited by every object and must read as "not there", never as a value.
 */
export function ownValue<V>(record: Readonly<Partial<Record<string, V>>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A name every plain object already answers to (`constructor`, `toString`, `__proto__`, ...). */
export const isObjectPropertyName = (name: string): boolean => name in Object.prototype;

/** The one key assignment cannot store in a plain object: it replaces the prototype instead. */
const UNSTORABLE_KEY = '__proto__';

/**
 * A record schema that refuses `__proto__` by name. zod's record parsing skips that key without a word,
 * so without this check it would vanish from what is stored and generated. It is reported as an
 * unrecognized key that lets checks continue, as zod's own are: a pipe stops at any other issue, and
 * the record's other entries should still be checked in the same answer.
 */
export function ownKeyRecord<T extends z.ZodType>(record: T, noun: string) {
  return z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, UNSTORABLE_KEY))
      ctx.addIssue({
        code: 'unrecognized_keys',
        keys: [UNSTORABLE_KEY],
        continue: true,
        message: `${noun} ${UNSTORABLE_KEY} cannot be stored (it names the prototype of an object); choose another key`,
      });
    return input;
  }, record);
}
