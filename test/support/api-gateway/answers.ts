/**
 * What API Gateway answers itself, before any function runs: the status, the body and the
 * x-amzn-ErrorType header its REST APIs send (the messages as AWS documents and sends them).
 */
export interface GatewayAnswer {
  status: number;
  errorType: string;
  message: string;
}

const answer = (status: number, errorType: string, message: string): GatewayAnswer => ({
  status,
  errorType,
  message,
});

/** No route for this stage, path and method; or an AWS_IAM route called without a signature. */
export const MISSING_AUTHENTICATION_TOKEN = answer(
  403,
  'MissingAuthenticationTokenException',
  'Missing Authentication Token',
);

export const SIGNATURE_DOES_NOT_MATCH = answer(
  403,
  'InvalidSignatureException',
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);

/** An access key (or session token) the account does not know. */
export const INVALID_SECURITY_TOKEN = answer(
  403,
  'UnrecognizedClientException',
  'The security token included in the request is invalid.',
);

export const EXPIRED_SECURITY_TOKEN = answer(
  403,
  'ExpiredTokenException',
  'The security token included in the request is expired',
);

/** An API key route without a key, or with one no usage plan of the stage holds. */
export const FORBIDDEN = answer(403, 'ForbiddenException', 'Forbidden');

/** Over API Gateway's 10 MB payload limit. */
export const REQUEST_TOO_LONG = answer(413, 'RequestTooLongException', 'Request Too Long');

/** The function failed or answered something that is not a proxy result. */
export const INTERNAL_SERVER_ERROR = answer(502, 'InternalServerErrorException', 'Internal server error');

/** An Authorization header that is not a SigV4 one with all its parts. */
export function incompleteSignature(missing: string[]): GatewayAnswer {
  return answer(403, 'IncompleteSignatureException', missing.map((m) => `${m}.`).join(' '));
}

export function signatureExpired(signed: string, now: Date): GatewayAnswer {
  return answer(
    403,
    'InvalidSignatureException',
    `Signature expired: ${signed} is now earlier than ${amzDate(new Date(now.getTime() - FIVE_MINUTES))} (${amzDate(now)} - 5 min.)`,
  );
}

export function signatureNotYetCurrent(signed: string, now: Date): GatewayAnswer {
  return answer(
    403,
    'InvalidSignatureException',
    `Signature not yet current: ${signed} is still later than ${amzDate(new Date(now.getTime() + FIVE_MINUTES))} (${amzDate(now)} + 5 min.)`,
  );
}

export function dateNotInScope(scopeDate: string, signed: string): GatewayAnswer {
  return answer(
    403,
    'InvalidSignatureException',
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${signed.slice(0, 8)}', from '${signed}'.`,
  );
}

export function wrongRegion(region: string): GatewayAnswer {
  return answer(
    403,
    'InvalidSignatureException',
    `Credential should be scoped to a valid region, not '${region}'. `,
  );
}

export function wrongService(service: string): GatewayAnswer {
  return answer(
    403,
    'InvalidSignatureException',
    `Credential should be scoped to correct service: '${service}'. `,
  );
}

export const FIVE_MINUTES = 5 * 60_000;

/** 20240102T030405Z, the x-amz-date form. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
