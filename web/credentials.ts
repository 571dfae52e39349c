import { type AwsCredentials, type CallToSign, isAwsRegion, signCall } from '../src/client/aws-signature.js';
import type { CredentialKind } from './api.js';

export type { CredentialKind };

/**
 * What the tab signs in with, of the kind the service takes (GET /health names it): the local runtime's
 * bearer token, an API Gateway API key (AuthMode=api_key), or AWS credentials every call is signed with
 * (AuthMode=iam, SigV4 for execute-api in the API's region).
 */
export type Credential =
  | { kind: 'bearer'; token: string }
  | { kind: 'api_key'; key: string }
  | { kind: 'iam'; credentials: AwsCredentials; region: string };

/** The call's headers with the credential added: a bearer token, x-api-key, or a SigV4 signature. */
export async function authorize(call: CallToSign, credential: Credential): Promise<Headers> {
  switch (credential.kind) {
    case 'bearer':
      call.headers.set('authorization', `Bearer ${credential.token}`);
      return call.headers;
    case 'api_key':
      call.headers.set('x-api-key', credential.key);
      return call.headers;
    case 'iam':
      return signCall(call, credential.credentials, credential.region);
  }
}

/** The sign-in form's fields, by control id. */
export interface SignInValues {
  token: string;
  'aws-access-key-id': string;
  'aws-secret-access-key': string;
  'aws-session-token': string;
  'aws-region': string;
}
export type SignInField = keyof SignInValues;

/** A credential read from the form, or the first field that is not one, and why. */
export type SignInResult = { credential: Credential } | { field: SignInField; message: string };

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** Reads the form for the kind of credential the service takes; nothing is sent before it passes. */
export function readSignIn(kind: CredentialKind, values: SignInValues): SignInResult {
  const value = (field: SignInField) => values[field].trim();
  if (kind === 'bearer') {
    const token = value('token');
    return token ? { credential: { kind, token } } : { field: 'token', message: 'Enter your API token.' };
  }
  if (kind === 'api_key') {
    const key = value('token');
    return key ? { credential: { kind, key } } : { field: 'token', message: 'Enter your API key.' };
  }
  const accessKeyId = value('aws-access-key-id');
  const secretAccessKey = value('aws-secret-access-key');
  const sessionToken = value('aws-session-token');
  const region = value('aws-region');
  if (!accessKeyId)
    return { field: 'aws-access-key-id', message: 'Access key ID: enter the ID of your AWS access key.' };
  if (!ACCESS_KEY_ID.test(accessKeyId))
    return {
      field: 'aws-access-key-id',
      message: 'Access key ID: 16 to 128 capital letters and digits (it starts with AKIA or ASIA).',
    };
  if (!secretAccessKey)
    return { field: 'aws-secret-access-key', message: 'Secret access key: enter the key’s secret.' };
  if (accessKeyId.startsWith('ASIA') && !sessionToken)
    return {
      field: 'aws-session-token',
      message:
        'Session token: temporary credentials (an access key ID starting with ASIA) need their session token.',
    };
  if (!region)
    return { field: 'aws-region', message: 'Region: enter the AWS region of the API, such as eu-west-1.' };
  if (!isAwsRegion(region))
    return { field: 'aws-region', message: 'Region: not an AWS region name, such as eu-west-1.' };
  return {
    credential: {
      kind,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      region,
    },
  };
}

/**
 * Why the service (401) or API Gateway (403, its own `{"message"}`) refused the tab's credential, said so
 * that the person knows what to fix: while signing in, to check what they typed; later, to sign in again.
 */
export function refusalMessage(kind: CredentialKind, gatewayMessage: string, signingIn: boolean): string {
  if (kind === 'bearer')
    return signingIn
      ? 'The service did not accept that token. Check it and try again.'
      : 'Your token was not accepted any more. Sign in again to go on.';
  if (kind === 'api_key')
    return signingIn
      ? 'The service did not accept that API key. Check it and try again.'
      : 'Your API key was not accepted any more. Sign in again to go on.';
  const reason = AWS_REFUSALS.find(([pattern]) => pattern.test(gatewayMessage))?.[1];
  const said = reason ?? `AWS refused the request (“${gatewayMessage}”).`;
  return `${said} ${signingIn ? 'Check your credentials and try again.' : 'Sign in again to go on.'}`;
}

/** API Gateway's documented answers to a SigV4 request it refuses, in plain words. */
const AWS_REFUSALS: [RegExp, string][] = [
  [
    /signature we calculated does not match/i,
    'AWS did not accept the signature: the secret access key does not match the access key ID.',
  ],
  [
    /security token included in the request is invalid/i,
    'AWS does not recognise that access key ID (or its session token).',
  ],
  [/security token included in the request is expired/i, 'Your AWS session token has expired.'],
  [
    /^Signature (expired|not yet current)/i,
    'The signature’s time is more than 5 minutes from AWS’s: check this computer’s clock.',
  ],
  [/scoped to a valid region/i, 'The region is not the API’s region.'],
  [/not authorized to perform/i, 'These AWS credentials may not call this API (execute-api:Invoke).'],
  [
    /^the pipeline's credential reaches the reports|^API Gateway named no caller/,
    'The service does not take requests signed with these credentials.',
  ],
];
