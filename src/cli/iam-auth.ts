/**
 * `--auth iam`: every call signed with SigV4 (src/client/aws-signature.ts, the one home of signing) with
 * credentials from the standard AWS chain (@aws-sdk/credential-provider-node: AWS_PROFILE, the
 * environment, SSO, web identity, a container or instance role), for a stack with AuthMode=iam. The
 * region is the API URL's (execute-api host), else --region, $AWS_REGION or $AWS_DEFAULT_REGION.
 */
import { type AwsCredentials, isAwsRegion, regionOfApiUrl, signCall } from '../client/aws-signature.js';
import {
  type AuthOptions,
  type Caller,
  type ClientAuth,
  MISSING_AUTHENTICATION_TOKEN,
  noSuchRoute,
  type Refusal,
  unauthorized,
} from './client-auth.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';

/** The region to sign for, checked before anything is sent. */
export function signingRegion(base: string, given: string | undefined, env: NodeJS.ProcessEnv): string {
  const ofUrl = regionOfApiUrl(base);
  if (given !== undefined) {
    if (!isAwsRegion(given))
      throw invalidInput([
        {
          path: '--region',
          message: `not an AWS region name (like eu-west-1): ${JSON.stringify(given.slice(0, 40))}`,
        },
      ]);
    if (ofUrl !== undefined && ofUrl !== given)
      throw invalidInput([{ path: '--region', message: `the API URL is in ${ofUrl}, not ${given}` }]);
    return given;
  }
  if (ofUrl !== undefined) return ofUrl;
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const value = env[name];
    if (!value) continue;
    if (!isAwsRegion(value))
      throw invalidInput([
        {
          path: name,
          message: `not an AWS region name (like eu-west-1): ${JSON.stringify(value.slice(0, 40))}`,
        },
      ]);
    return value;
  }
  let host = base;
  try {
    host = new URL(base).host;
  } catch {}
  throw invalidInput([
    {
      path: '--region',
      message: `the region of ${host} is not in its name (a custom domain or a local URL): give --region, or set AWS_REGION`,
    },
  ]);
}

/**
 * Where the chain will find credentials, as messages name it (never a value): AWS_PROFILE wins over the
 * environment's keys in the chain, as here.
 */
export function credentialSource(env: NodeJS.ProcessEnv): string {
  if (env.AWS_PROFILE) return `AWS_PROFILE=${env.AWS_PROFILE}`;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'the environment: AWS_ACCESS_KEY_ID';
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return 'web identity: AWS_WEB_IDENTITY_TOKEN_FILE';
  return 'the default AWS credential chain: the default profile, or a container or instance role';
}

/** The chain's credentials, or a CliError saying none were found and where it looked. */
async function loadCredentials(source: string): Promise<AwsCredentials> {
  // Loaded only for --auth iam: the other modes never pay for the SDK.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const env = process.env;
  // The chain prefers the profile and says so in eight lines on every call; one is enough.
  if (env.AWS_PROFILE && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    process.stderr.write(
      `warning: both AWS_PROFILE and AWS_ACCESS_KEY_ID are set: signing with AWS_PROFILE=${env.AWS_PROFILE}\n`,
    );
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  try {
    const { accessKeyId, secretAccessKey, sessionToken } = await defaultProvider({ logger: quiet })();
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  } catch (error) {
    // The SDK's own words say which provider failed and how (a profile not found, an SSO session to
    // renew); its first line only, and it names profiles, never a key.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300);
    const profile = env.AWS_PROFILE;
    throw new CliError(
      [
        `no AWS credentials found (from ${source}): ${reason}`,
        profile
          ? `check that profile ${profile} is in the AWS config or credentials file (~/.aws, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE), and run aws sso login if it uses SSO`
          : 'set AWS_PROFILE (after aws sso login or aws configure), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)',
      ],
      EXIT.error,
    );
  }
}

export async function iamAuth(options: AuthOptions, caller: Caller, base: string): Promise<ClientAuth> {
  const region = signingRegion(base, options.region, process.env);
  const source = credentialSource(process.env);
  // Resolved once, at the first call (--wait polls with the same credentials).
  let credentials: Promise<AwsCredentials> | undefined;
  return {
    async headers(call) {
      credentials ??= loadCredentials(source);
      return signCall(call, await credentials, region);
    },
    refusal: (refused) => explain(refused, { caller, region, source }),
  };
}

/** API Gateway's refusals of a signed call, and the service's 401, in the CLI's words. */
function explain(
  refused: Refusal,
  { caller, region, source }: { caller: Caller; region: string; source: string },
): CliError | undefined {
  const message = refused.message ?? '';
  const error = (line: string) => new CliError([line], EXIT.error);
  if (refused.status === 401)
    return unauthorized(
      `the service refused the caller signed in with the AWS credentials from ${source}`,
      caller,
      'iam',
    );
  if (refused.status !== 403 || !refused.errorType) return undefined;
  if (message === MISSING_AUTHENTICATION_TOKEN) return noSuchRoute(refused, true);
  if (message.startsWith('Signature expired') || message.startsWith('Signature not yet current'))
    return error(
      "the API refused the request signature: its time is more than 5 minutes off the API's; check this machine's clock",
    );
  if (message.startsWith('Credential should be scoped to a valid region'))
    return error(
      `the API refused the request signature: the API is not in ${region}; give --region with the API's region`,
    );
  if (message.startsWith('The security token included in the request is expired'))
    return error(
      `the AWS credentials (from ${source}) have expired: renew them (aws sso login, or assume the role again) and retry`,
    );
  if (message.startsWith('The security token included in the request is invalid'))
    return error(
      `the API does not know the AWS credentials (from ${source}): check that they are current and of the API's AWS account`,
    );
  if (refused.errorType.startsWith('AccessDenied') || /is not authorized to perform/.test(message))
    return error(
      `forbidden: the AWS credentials (from ${source}) may not call this API (execute-api:Invoke): ${message.slice(0, 300)}`,
    );
  return error(
    `the API refused the request signature: check the AWS credentials (from ${source}) and the region ${region}`,
  );
}
