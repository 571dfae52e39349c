import { describe, expect, it } from 'vitest';
import { isAwsRegion, regionOfApiUrl } from '../../src/client/aws-signature.js';
import { authorize, readSignIn, refusalMessage, type SignInValues } from '../../web/credentials.js';

/**
 * The page's sign-in: the form read for the credential the service takes (nothing is sent before it
 * passes), each call given that credential, and a refusal put in words that say what to fix.
 */

const EMPTY: SignInValues = {
  token: '',
  'aws-access-key-id': '',
  'aws-secret-access-key': '',
  'aws-session-token': '',
  'aws-region': '',
};
const AWS = {
  ...EMPTY,
  'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE',
  'aws-secret-access-key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'aws-region': 'eu-west-1',
};

describe('readSignIn', () => {
  it('reads a token, an API key, or AWS credentials (trimmed)', () => {
    expect(readSignIn('bearer', { ...EMPTY, token: ' t0ken ' })).toEqual({
      credential: { kind: 'bearer', token: 't0ken' },
    });
    expect(readSignIn('api_key', { ...EMPTY, token: 'k3y' })).toEqual({
      credential: { kind: 'api_key', key: 'k3y' },
    });
    expect(readSignIn('iam', { ...AWS, 'aws-session-token': ' ' })).toEqual({
      credential: {
        kind: 'iam',
        credentials: { accessKeyId: AWS['aws-access-key-id'], secretAccessKey: AWS['aws-secret-access-key'] },
        region: 'eu-west-1',
      },
    });
    const temporary = readSignIn('iam', {
      ...AWS,
      'aws-access-key-id': 'ASIAIOSFODNN7EXAMPLE',
      'aws-session-token': 'tok',
    });
    expect(temporary).toMatchObject({ credential: { credentials: { sessionToken: 'tok' } } });
  });

  it.each([
    ['bearer', EMPTY, 'token', 'Enter your API token.'],
    ['api_key', { ...EMPTY, token: '   ' }, 'token', 'Enter your API key.'],
    ['iam', { ...AWS, 'aws-access-key-id': '' }, 'aws-access-key-id', 'Access key ID: enter'],
    ['iam', { ...AWS, 'aws-access-key-id': 'akia lower' }, 'aws-access-key-id', '16 to 128 capital letters'],
    ['iam', { ...AWS, 'aws-secret-access-key': '' }, 'aws-secret-access-key', 'Secret access key: enter'],
    [
      'iam',
      { ...AWS, 'aws-access-key-id': 'ASIAIOSFODNN7EXAMPLE' },
      'aws-session-token',
      'Session token: temporary credentials',
    ],
    ['iam', { ...AWS, 'aws-region': '' }, 'aws-region', 'Region: enter'],
    ['iam', { ...AWS, 'aws-region': 'Europe' }, 'aws-region', 'Region: not an AWS region name'],
  ] as const)('%s: %j is refused at %s, naming it', (kind, values, field, message) => {
    const read = readSignIn(kind, values);
    expect(read).toMatchObject({ field });
    expect('message' in read && read.message).toContain(message);
  });
});

describe('authorize', () => {
  const call = () => ({
    url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/Prod/provision?dry_run=true',
    method: 'POST',
    headers: new Headers({ accept: 'application/json', 'content-type': 'application/json' }),
    body: '{"db_name":"orders"}',
  });

  it('sends a bearer token, or an API key as x-api-key', async () => {
    expect((await authorize(call(), { kind: 'bearer', token: 't' })).get('authorization')).toBe('Bearer t');
    const withKey = await authorize(call(), { kind: 'api_key', key: 'k' });
    expect(withKey.get('x-api-key')).toBe('k');
    expect(withKey.get('authorization')).toBeNull();
  });

  it('signs with SigV4 for execute-api in the given region, with the session token', async () => {
    const headers = await authorize(call(), {
      kind: 'iam',
      credentials: {
        accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'session',
      },
      region: 'eu-west-1',
    });
    expect(headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers.get('x-amz-security-token')).toBe('session');
    expect(headers.get('authorization')).not.toContain('secret');
  });
});

describe('refusalMessage', () => {
  it('keeps the token wording of the local page', () => {
    expect(refusalMessage('bearer', '', true)).toBe(
      'The service did not accept that token. Check it and try again.',
    );
    expect(refusalMessage('bearer', '', false)).toBe(
      'Your token was not accepted any more. Sign in again to go on.',
    );
    expect(refusalMessage('api_key', 'Forbidden', true)).toContain('did not accept that API key');
  });

  it.each([
    [
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      'the secret access key does not match',
    ],
    ['The security token included in the request is invalid.', 'does not recognise that access key ID'],
    ['The security token included in the request is expired', 'session token has expired'],
    [
      'Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)',
      'clock',
    ],
    ["Credential should be scoped to a valid region, not 'us-east-1'. ", 'region'],
    [
      'User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke',
      'execute-api:Invoke',
    ],
    [
      "the pipeline's credential reaches the reports (/reports/*) and nothing else",
      'does not take requests signed with these credentials',
    ],
    ['API Gateway named no caller for this call', 'does not take requests signed with these credentials'],
    ['Something new', 'AWS refused the request (“Something new”)'],
  ])('says what to fix for API Gateway’s “%s”', (gateway, words) => {
    expect(refusalMessage('iam', gateway, true)).toContain(words);
    expect(refusalMessage('iam', gateway, true)).toMatch(/Check your credentials and try again\.$/);
    expect(refusalMessage('iam', gateway, false)).toMatch(/Sign in again to go on\.$/);
  });
});

describe('regions', () => {
  it('knows a region name and the region of an API Gateway URL', () => {
    expect(['eu-west-1', 'us-gov-west-1', 'ap-southeast-2'].every(isAwsRegion)).toBe(true);
    expect(['', 'Europe', 'eu-west', 'eu-west-1 ', 'EU-WEST-1'].some(isAwsRegion)).toBe(false);
    expect(regionOfApiUrl('https://abc123.execute-api.eu-west-1.amazonaws.com/Prod/')).toBe('eu-west-1');
    expect(regionOfApiUrl('http://127.0.0.1:8080/Prod/')).toBeUndefined();
  });
});
