/**
 * Signing a call to the deployed API (API Gateway, `AuthMode=iam`) with AWS Signature Version 4: the one
 * home of it for every client, the CLI (credentials from the standard AWS chain) and the web page
 * (credentials the user signs in with). aws4fetch signs with WebCrypto, so it runs in Node and browsers.
 */
import { AwsV4Signer } from 'aws4fetch';
import { AWS_REGION_PATTERN, isAwsRegion } from '../domain/aws-region.js';

/** The credentials a call is signed with (temporary ones carry a session token). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** API Gateway's service name in the credential scope. */
export const EXECUTE_API = 'execute-api';

const API_HOST = new RegExp(
  `^[a-z0-9]+\\.execute-api\\.(${AWS_REGION_PATTERN})\\.amazonaws\\.com(?:\\.cn)?$`,
);

/** Whether a name has the shape of an AWS region (`eu-west-1`, `us-gov-west-1`). */
export { isAwsRegion };

/**
 * The region of an API Gateway URL (`https://ID.execute-api.REGION.amazonaws.com/STAGE`), or undefined
 * for any other host (a custom domain): the caller must then be told the region.
 */
export function regionOfApiUrl(url: string | URL): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  return API_HOST.exec(host)?.[1];
}

/** One call as fetch takes it. */
export interface CallToSign {
  url: string;
  method: string;
  headers: Headers;
  body?: string | null;
}

/**
 * The headers to send: the call's own plus `authorization`, `x-amz-date`, `x-amz-content-sha256` and,
 * with temporary credentials, `x-amz-security-token`. The body is signed as sent.
 */
export async function signCall(
  call: CallToSign,
  credentials: AwsCredentials,
  region: string,
  service: string = EXECUTE_API,
): Promise<Headers> {
  const signer = new AwsV4Signer({
    url: call.url,
    method: call.method,
    headers: call.headers,
    body: call.body ?? null,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    service,
    region,
  });
  return (await signer.sign()).headers;
}
