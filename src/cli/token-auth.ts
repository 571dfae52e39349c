/** `--auth token` (the default): a bearer token from --token, --token-file or the environment. */
import { checkedHeaderValue, readSecretFile, type Secret } from './auth-secrets.js';
import {
  AUTH_ENV,
  type AuthOptions,
  type Caller,
  type ClientAuth,
  MISSING_AUTHENTICATION_TOKEN,
  noSuchRoute,
  unauthorized,
} from './client-auth.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';

/** The token from --token, --token-file or the environment, checked before anything is sent. */
async function tokenFrom(options: AuthOptions, caller: Caller): Promise<Secret | undefined> {
  if (options.token !== undefined && options.tokenFile !== undefined)
    throw invalidInput([{ path: '--token-file', message: 'give either --token or --token-file, not both' }]);
  let token: Secret | undefined;
  if (options.token !== undefined) token = { value: options.token, source: '--token' };
  else if (options.tokenFile !== undefined)
    token = {
      value: await readSecretFile(options.tokenFile, '--token-file'),
      source: `--token-file ${options.tokenFile}`,
    };
  else if (process.env[caller.tokenEnv])
    token = { value: process.env[caller.tokenEnv] as string, source: caller.tokenEnv };
  return token && checkedHeaderValue(token, 'the token');
}

export async function tokenAuth(options: AuthOptions, caller: Caller): Promise<ClientAuth> {
  const token = await tokenFrom(options, caller);
  return {
    async headers(call) {
      const headers = new Headers(call.headers);
      if (token) headers.set('authorization', `Bearer ${token.value}`);
      return headers;
    },
    refusal(refused) {
      if (refused.message === MISSING_AUTHENTICATION_TOKEN) return noSuchRoute(refused, false);
      // API Gateway itself answered: this is a deployed stack, which takes no bearer token.
      if (refused.errorType)
        return new CliError(
          [
            `the API at ${refused.base} is a deployed stack (API Gateway answered "${refused.message ?? refused.status}"): it takes --auth iam or --auth api-key, not a bearer token; give --auth or set ${AUTH_ENV}`,
          ],
          EXIT.error,
        );
      if (refused.status !== 401) return undefined;
      // The server's reason (not valid, revoked), unless the caller's hint says which credential these
      // routes take (that is the reason then); never the token itself.
      const reason = refused.message && !caller.refusedHint?.token ? `: ${refused.message}` : '; check it';
      return unauthorized(
        token
          ? `the server refused the ${caller.tokenName} (from ${token.source})${reason}`
          : `no ${caller.tokenName} given; set ${caller.tokenEnv} or give --token-file <file>`,
        caller,
        'token',
      );
    },
  };
}
