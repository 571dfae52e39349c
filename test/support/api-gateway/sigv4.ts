/**
 * The test gateway's AWS_IAM check: a SigV4-signed request re-signed with @smithy/signature-v4 (the AWS
 * SDK's signer, independent of the aws4fetch signer the clients use) over the headers the request names
 * in SignedHeaders, the body as received and the principal's own secret, and compared. Each failure is
 * API Gateway's own answer (./answers.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  dateNotInScope,
  EXPIRED_SECURITY_TOKEN,
  FIVE_MINUTES,
  type GatewayAnswer,
  INVALID_SECURITY_TOKEN,
  incompleteSignature,
  MISSING_AUTHENTICATION_TOKEN,
  SIGNATURE_DOES_NOT_MATCH,
  signatureExpired,
  signatureNotYetCurrent,
  wrongRegion,
  wrongService,
} from './answers.js';

/** An IAM principal the account knows: its access key and who it is (a user, or a role's session). */
export interface GatewayPrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** What API Gateway passes as requestContext.identity.userArn. */
  arn: string;
  /** Temporary credentials stop working at this time. */
  expiration?: Date;
}

/** The request as it reached the gateway: path still percent-encoded, header names lower case. */
export interface ReceivedRequest {
  method: string;
  rawPath: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

/** What @smithy/signature-v4 hashes: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(new Uint8Array(data));

/** A node:crypto SHA-256 / HMAC in the shape @smithy/signature-v4 takes. */
class Sha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  private readonly secret: Buffer | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAuthorization(header: string): Record<string, string> | undefined {
  if (!header.startsWith('AWS4-HMAC-SHA256 ')) return undefined;
  const fields: Record<string, string> = {};
  for (const part of header.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return fields;
}

/** The principal that signed the request, or API Gateway's answer refusing it. */
export async function verifySignature(
  request: ReceivedRequest,
  principals: GatewayPrincipal[],
  region: string,
  now: Date = new Date(),
): Promise<{ principal: GatewayPrincipal } | { refused: GatewayAnswer }> {
  const header = (name: string) => (Object.hasOwn(request.headers, name) ? request.headers[name] : undefined);
  const authorization = header('authorization');
  if (authorization === undefined) return { refused: MISSING_AUTHENTICATION_TOKEN };
  const fields = parseAuthorization(authorization) ?? {};
  const dateHeader = header('x-amz-date');
  const missing = [
    ...(fields.Credential ? [] : ["Authorization header requires 'Credential' parameter"]),
    ...(fields.Signature ? [] : ["Authorization header requires 'Signature' parameter"]),
    ...(fields.SignedHeaders ? [] : ["Authorization header requires 'SignedHeaders' parameter"]),
    ...(dateHeader && AMZ_DATE.test(dateHeader)
      ? []
      : ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header"]),
  ];
  if (missing.length > 0) return { refused: incompleteSignature(missing) };
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator, ...rest] = (
    fields.Credential as string
  ).split('/');
  if (terminator !== 'aws4_request' || rest.length > 0)
    return {
      refused: incompleteSignature([
        "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
          (terminator ?? '') +
          "'",
      ]),
    };
  const signedHeaders = (fields.SignedHeaders as string).split(';');
  if (!signedHeaders.includes('host'))
    return {
      refused: incompleteSignature([
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization",
      ]),
    };

  const signed = dateHeader as string;
  const [, y, mo, d, h, mi, s] = AMZ_DATE.exec(signed) as RegExpExecArray;
  const signingDate = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (signingDate.getTime() < now.getTime() - FIVE_MINUTES) return { refused: signatureExpired(signed, now) };
  if (signingDate.getTime() > now.getTime() + FIVE_MINUTES)
    return { refused: signatureNotYetCurrent(signed, now) };
  if (scopeDate !== signed.slice(0, 8)) return { refused: dateNotInScope(scopeDate as string, signed) };
  if (scopeRegion !== region) return { refused: wrongRegion(scopeRegion as string) };
  if (scopeService !== 'execute-api') return { refused: wrongService('execute-api') };

  const principal = principals.find((p) => p.accessKeyId === accessKeyId);
  if (!principal || (principal.sessionToken ?? undefined) !== header('x-amz-security-token'))
    return { refused: INVALID_SECURITY_TOKEN };
  if (principal.expiration && principal.expiration.getTime() <= now.getTime())
    return { refused: EXPIRED_SECURITY_TOKEN };

  // Only the headers the client signed take part; each must have come.
  const headers: Record<string, string> = Object.create(null);
  for (const name of signedHeaders) {
    const value = header(name);
    if (value === undefined) return { refused: SIGNATURE_DOES_NOT_MATCH };
    headers[name] = value;
  }
  // A declared body hash must be the body's: smithy would otherwise sign the declared one.
  const declaredHash = header('x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(request.body).digest('hex'))
    return { refused: SIGNATURE_DOES_NOT_MATCH };

  const signer = new SignatureV4({
    credentials: {
      accessKeyId: principal.accessKeyId,
      secretAccessKey: principal.secretAccessKey,
      ...(principal.sessionToken ? { sessionToken: principal.sessionToken } : {}),
    },
    region,
    service: 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = Object.fromEntries(
    [...new Set(request.query.keys())].map((key) => {
      const values = request.query.getAll(key);
      return [key, values.length === 1 ? (values[0] as string) : values];
    }),
  );
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: headers.host as string,
      path: request.rawPath,
      query,
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  const expectedHeaders = /SignedHeaders=([^,]+)/.exec(String(resigned.headers.authorization))?.[1];
  const given = fields.Signature as string;
  const same =
    expectedHeaders === fields.SignedHeaders &&
    expected.length === given.length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(given));
  return same ? { principal } : { refused: SIGNATURE_DOES_NOT_MATCH };
}
