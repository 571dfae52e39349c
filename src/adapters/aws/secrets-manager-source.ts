import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../ports.js';
import { type AwsClientOptions, secretsManagerClient } from './clients.js';

/** Long enough to outlive any Lambda container: read once per instance. */
const FOREVER_SECONDS = 365 * 24 * 3600;

export interface SecretsManagerSourceOptions extends AwsClientOptions {
  /** A client to share; built from the other options when absent. */
  client?: SecretsManagerClient;
  /** How long a value is reused; default: for the life of this instance (a rotated token needs a new one). */
  maxAgeSeconds?: number;
}

/** A secret that could not be read. The message names the secret and the cause, never a value. */
export class SecretUnavailableError extends Error {
  constructor(
    readonly secretName: string,
    reason: string,
  ) {
    super(`secret ${secretName} is unavailable: ${reason}`);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * Secrets from AWS Secrets Manager through Powertools' SecretsProvider, which caches each value for
 * `maxAgeSeconds`. Concurrent first reads of one name share one call. A binary secret is read as UTF-8.
 */
export class SecretsManagerSource implements SecretSource {
  private readonly provider: SecretsProvider;
  private readonly maxAge: number;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(options: SecretsManagerSourceOptions = {}) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client ?? secretsManagerClient(options) });
    this.maxAge = options.maxAgeSeconds ?? FOREVER_SECONDS;
  }

  get(name: string): Promise<string> {
    const running = this.pending.get(name);
    if (running) return running;
    const read = this.read(name).finally(() => this.pending.delete(name));
    this.pending.set(name, read);
    return read;
  }

  private async read(name: string): Promise<string> {
    let value: unknown;
    try {
      value = await this.provider.get(name, { maxAge: this.maxAge });
    } catch (error) {
      throw new SecretUnavailableError(name, describe(error));
    }
    const text = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
    if (typeof text !== 'string') throw new SecretUnavailableError(name, 'it has no value');
    if (text === '') throw new SecretUnavailableError(name, 'its value is empty');
    return text;
  }
}

/**
 * The SDK's error name and message (Powertools wraps it as the cause). Neither carries a secret value:
 * Secrets Manager's errors name the secret and the problem only.
 */
function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return 'unknown error';
  if (cause.name === 'ResourceNotFoundException') return 'it does not exist or has no value yet';
  return `${cause.name}: ${cause.message}`;
}
