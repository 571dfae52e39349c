/**
 * How a client command authenticates to the service, chosen by --auth or $RDS_PROVISIONER_AUTH:
 * `token` (a bearer token: the local server's, the default), `iam` (SigV4 with the standard AWS
 * credential chain: a deployed stack with AuthMode=iam) or `api-key` (API Gateway's x-api-key: AuthMode
 * api_key). Each mode lives in its own module (token-auth, iam-auth, api-key-auth), auth-mode picks one;
 * this one holds what they share.
 */
import type { Command } from 'commander';
import type { CallToSign } from '../client/aws-signature.js';
import { CliError, EXIT } from './exit-codes.js';

export const AUTH_MODES = ['token', 'iam', 'api-key'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
/** The environment variable that chooses the mode when --auth is not given. */
export const AUTH_ENV = 'RDS_PROVISIONER_AUTH';

/** Who calls: a requester, or the pipeline reporting back; each has its own credential in every mode. */
export interface Caller {
  /** How messages name the bearer token. */
  tokenName: string;
  tokenEnv: string;
  /** The environment variable the API key is read from. */
  apiKeyEnv: string;
  /** Said with a 401, per mode: which credential these routes take. */
  refusedHint?: Partial<Record<AuthMode, string>>;
}

export const REQUESTER: Caller = {
  tokenName: 'API token',
  tokenEnv: 'RDS_PROVISIONER_API_TOKEN',
  apiKeyEnv: 'RDS_PROVISIONER_API_KEY',
  refusedHint: {
    iam: "the pipeline's role cannot ask for databases",
    'api-key': "the pipeline's key cannot ask for databases",
  },
};

export const PIPELINE: Caller = {
  tokenName: 'pipeline token',
  tokenEnv: 'RDS_PROVISIONER_PIPELINE_TOKEN',
  apiKeyEnv: 'RDS_PROVISIONER_PIPELINE_API_KEY',
  refusedHint: {
    token: "reports take the service's pipeline token, not a requester's API token",
    iam: "reports take the pipeline's IAM role (the stack's PipelinePrincipalArn), not a requester's credentials",
    'api-key': "reports take the pipeline's API key (the stack's PipelineApiKeyId), not a requester's",
  },
};

/** The flags every client command takes for authentication. */
export interface AuthOptions {
  auth?: string;
  token?: string;
  tokenFile?: string;
  apiKeyFile?: string;
  region?: string;
}

/** What the service (or API Gateway in front of it) answered when it refused a call. */
export interface Refusal {
  status: number;
  /** The answer's message: API Gateway's own (`message`, or `Message` for IAM policy denials) or the app's. */
  message?: string | undefined;
  /** x-amzn-ErrorType: set when API Gateway itself answered. */
  errorType?: string | null | undefined;
  method: string;
  url: string;
  /** The API's base URL as given (--url). */
  base: string;
}

/** One mode's part in every call. */
export interface ClientAuth {
  /** The headers to send: the call's own plus this mode's credential (a signature covers method, URL, body). */
  headers(call: CallToSign): Promise<Headers>;
  /** The message for a 401 or 403 this mode knows how to explain; undefined leaves it to the client. */
  refusal(refused: Refusal): CliError | undefined;
}

/** How to authenticate, for every client command's --help and the program's. */
export const authHelp = (caller: Caller = REQUESTER) =>
  [
    `Authentication: --auth <mode>, or $${AUTH_ENV}`,
    `  token    (default) the ${caller.tokenName}: prefer $${caller.tokenEnv}`,
    '           or --token-file <file> (- reads standard input); --token <token>',
    '           works too, but shows in the process list',
    '  iam      a stack deployed with AuthMode=iam: SigV4 with the standard AWS',
    '           credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/_SECRET_ACCESS_KEY/',
    '           _SESSION_TOKEN, SSO, web identity, a container or instance role);',
    '           the region from the execute-api URL, else --region, $AWS_REGION',
    '           or $AWS_DEFAULT_REGION',
    `  api-key  a stack deployed with AuthMode=api_key: the API key from`,
    `           $${caller.apiKeyEnv} or --api-key-file <file>`,
  ].join('\n');

export function authOptions(command: Command, caller: Caller): Command {
  return command
    .option('--auth <mode>', `how to authenticate: token, iam or api-key (default: $${AUTH_ENV} or token)`)
    .option('--token-file <file>', `read the ${caller.tokenName} from this file; - reads standard input`)
    .option(
      '--token <token>',
      `the ${caller.tokenName} itself; it shows in the process list, so prefer $${caller.tokenEnv} or --token-file`,
    )
    .option(
      '--api-key-file <file>',
      `--auth api-key: read the API key from this file; - reads standard input`,
    )
    .option(
      '--region <region>',
      "--auth iam: the API's AWS region when its URL does not say (a custom domain)",
    )
    .addHelpText('after', `\n${authHelp(caller)}`);
}

/** API Gateway's answer when no deployed route has this stage, path and method (or an IAM route was not signed). */
export const MISSING_AUTHENTICATION_TOKEN = 'Missing Authentication Token';

/**
 * The one message for API Gateway's "Missing Authentication Token": no deployed route has this stage,
 * path and method, or (unsigned) the route takes SigV4.
 */
export function noSuchRoute(refused: Refusal, signed: boolean): CliError {
  const path = new URL(refused.url).pathname;
  return new CliError(
    [
      `the API answered "${MISSING_AUTHENTICATION_TOKEN}" to ${refused.method} ${path}: ${signed ? '' : 'the stack takes SigV4 (give --auth iam), or '}no such route; check that --url is the stack's API URL with its stage, e.g. https://ID.execute-api.REGION.amazonaws.com/Prod (it is ${refused.base})`,
    ],
    EXIT.error,
  );
}

/** With a 401: the refusal, the credential's source, and which credential these routes take. */
export function unauthorized(text: string, caller: Caller, mode: AuthMode): CliError {
  const hint = caller.refusedHint?.[mode];
  return new CliError([`unauthorized: ${text}${hint ? ` (${hint})` : ''}`], EXIT.error);
}
