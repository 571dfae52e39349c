/** Picks the client's authentication mode (--auth, $RDS_PROVISIONER_AUTH, else token) and checks its flags. */
import { apiKeyAuth } from './api-key-auth.js';
import {
  AUTH_ENV,
  AUTH_MODES,
  type AuthMode,
  type AuthOptions,
  type Caller,
  type ClientAuth,
} from './client-auth.js';
import { invalidInput } from './exit-codes.js';
import { iamAuth } from './iam-auth.js';
import { tokenAuth } from './token-auth.js';

/** The mode from --auth, else the environment, else token; anything else is refused naming where it came from. */
export function authModeOf(options: AuthOptions, env: NodeJS.ProcessEnv = process.env): AuthMode {
  const [given, path] =
    options.auth !== undefined ? [options.auth, '--auth'] : [env[AUTH_ENV] || 'token', AUTH_ENV];
  // The stack's parameter spells it api_key: taken too.
  const mode = given === 'api_key' ? 'api-key' : given;
  if (!(AUTH_MODES as readonly string[]).includes(mode))
    throw invalidInput([
      { path, message: `must be token, iam or api-key, not ${JSON.stringify(given.slice(0, 40))}` },
    ]);
  return mode as AuthMode;
}

/** Flags that belong to another mode are refused, not ignored: the user meant something by them. */
function refuseOtherModesFlags(options: AuthOptions, mode: AuthMode): void {
  const flags: Array<[keyof AuthOptions, string, AuthMode]> = [
    ['token', '--token', 'token'],
    ['tokenFile', '--token-file', 'token'],
    ['apiKeyFile', '--api-key-file', 'api-key'],
    ['region', '--region', 'iam'],
  ];
  const issues = flags
    .filter(([key, , owner]) => options[key] !== undefined && owner !== mode)
    .map(([, path, owner]) => ({
      path,
      message: `only with --auth ${owner} (this call uses --auth ${mode})`,
    }));
  if (issues.length > 0) throw invalidInput(issues);
}

/** The chosen mode, its flags checked, ready to authenticate calls to `base`; nothing is sent before. */
export async function clientAuth(options: AuthOptions, caller: Caller, base: string): Promise<ClientAuth> {
  const mode = authModeOf(options);
  refuseOtherModesFlags(options, mode);
  if (mode === 'iam') return iamAuth(options, caller, base);
  if (mode === 'api-key') return apiKeyAuth(options, caller);
  return tokenAuth(options, caller);
}
