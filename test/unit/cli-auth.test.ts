import { describe, expect, it } from 'vitest';
import { authModeOf } from '../../src/cli/auth-mode.js';
import { CliError } from '../../src/cli/exit-codes.js';
import { credentialSource, signingRegion } from '../../src/cli/iam-auth.js';

const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/Prod';
const CUSTOM = 'https://db.example.com/provisioner';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return { lines: (error as CliError).lines, code: (error as CliError).exitCode };
  }
  throw new Error('not refused');
};

describe('CLI --auth iam: the region a call is signed for', () => {
  it("takes the execute-api URL's region over the environment, and --region for a custom domain", () => {
    expect(signingRegion(API, undefined, { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
    expect(signingRegion(API, 'eu-west-1', {})).toBe('eu-west-1');
    expect(signingRegion(CUSTOM, 'ap-southeast-2', { AWS_REGION: 'us-east-1' })).toBe('ap-southeast-2');
    expect(signingRegion(CUSTOM, undefined, { AWS_REGION: 'us-east-1' })).toBe('us-east-1');
    expect(signingRegion(CUSTOM, undefined, { AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-central-1' })).toBe(
      'eu-central-1',
    );
  });

  it('refuses a region that contradicts the URL, one that is not a region name, and none for a custom domain', () => {
    expect(refusal(() => signingRegion(API, 'us-east-1', {}))).toEqual({
      lines: ['--region: the API URL is in eu-west-1, not us-east-1'],
      code: 2,
    });
    expect(refusal(() => signingRegion(CUSTOM, 'Ireland', {}))).toEqual({
      lines: ['--region: not an AWS region name (like eu-west-1): "Ireland"'],
      code: 2,
    });
    expect(refusal(() => signingRegion(CUSTOM, undefined, { AWS_REGION: 'eu west' }))).toEqual({
      lines: ['AWS_REGION: not an AWS region name (like eu-west-1): "eu west"'],
      code: 2,
    });
    expect(refusal(() => signingRegion(CUSTOM, undefined, {}))).toEqual({
      lines: [
        '--region: the region of db.example.com is not in its name (a custom domain or a local URL): give --region, or set AWS_REGION',
      ],
      code: 2,
    });
  });

  it('names where the credentials come from, never a value, as the SDK chain picks them', () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-never-named' };
    expect(credentialSource({ ...keys, AWS_PROFILE: 'dev' })).toBe('AWS_PROFILE=dev');
    expect(credentialSource(keys)).toBe('the environment: AWS_ACCESS_KEY_ID');
    expect(credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' })).toBe(
      'web identity: AWS_WEB_IDENTITY_TOKEN_FILE',
    );
    expect(credentialSource({})).toMatch(/^the default AWS credential chain/);
  });
});

describe('CLI --auth: the mode', () => {
  it('comes from --auth, else RDS_PROVISIONER_AUTH, else token; api_key (the stack parameter) is api-key', () => {
    expect(authModeOf({}, {})).toBe('token');
    expect(authModeOf({}, { RDS_PROVISIONER_AUTH: 'iam' })).toBe('iam');
    expect(authModeOf({ auth: 'api-key' }, { RDS_PROVISIONER_AUTH: 'iam' })).toBe('api-key');
    expect(authModeOf({ auth: 'api_key' }, {})).toBe('api-key');
  });
});
