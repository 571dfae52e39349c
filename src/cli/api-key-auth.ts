/**
 * `--auth api-key`: API Gateway's x-api-key (a stack with AuthMode=api_key). The key comes from the
 * environment or --api-key-file, never from the command line, where every process could read it.
 */
import { checkedHeaderValue, readSecretFile, type Secret } from './auth-secrets.js';
import {
  type AuthOptions,
  type Caller,
  type ClientAuth,
  MISSING_AUTHENTICATION_TOKEN,
  noSuchRoute,
  unauthorized,
} from './client-auth.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';

async function apiKeyFrom(options: AuthOptions, caller: Caller): Promise<Secret> {
  if (options.apiKeyFile !== undefined)
    return {
      value: await readSecretFile(options.apiKeyFile, '--api-key-file'),
      source: `--api-key-file ${options.apiKeyFile}`,
    };
  const value = process.env[caller.apiKeyEnv];
  if (value) return { value, source: caller.apiKeyEnv };
  throw invalidInput([
    {
      path: '--auth api-key',
      message: `no API key given: set ${caller.apiKeyEnv} or give --api-key-file <file> (- reads standard input)`,
    },
  ]);
}

export async function apiKeyAuth(options: AuthOptions, caller: Caller): Promise<ClientAuth> {
  const key = checkedHeaderValue(await apiKeyFrom(options, caller), 'the API key');
  return {
    async headers(call) {
      const headers = new Headers(call.headers);
      headers.set('x-api-key', key.value);
      return headers;
    },
    refusal(refused) {
      if (refused.message === MISSING_AUTHENTICATION_TOKEN) return noSuchRoute(refused, false);
      if (refused.status === 403 && refused.errorType)
        return new CliError(
          [
            `the API refused the API key (from ${key.source}): check it, and that it is enabled and in the usage plan of this stage`,
          ],
          EXIT.error,
        );
      if (refused.status !== 401) return undefined;
      return unauthorized(`the service refused the API key (from ${key.source})`, caller, 'api-key');
    },
  };
}
