import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type OidcProvider, startOidcProvider } from '../support/oidc-provider.js';
import { api, startServer, tempDir } from '../support/server.js';

const idp: OidcProvider = await startOidcProvider();
afterAll(() => idp.stop());

/** serve's --oidc-* flags: the same settings as the RDS_PROVISIONER_OIDC_* variables, each flag winning. */
describe('serve --oidc-issuer --oidc-audience --oidc-jwks-uri --oidc-client-id', { timeout: 120_000 }, () => {
  it('accepts the JWTs of the provider the flags name, and the page is told to sign in there', async () => {
    const server = await startServer({
      args: [
        '--oidc-issuer',
        idp.issuer,
        '--oidc-audience',
        idp.audience,
        '--oidc-jwks-uri',
        idp.jwksUri,
        '--oidc-client-id',
        'rds-provisioner-web',
      ],
      // A variable the flag overrides: the flag wins.
      env: { RDS_PROVISIONER_OIDC_AUDIENCE: 'not-this-api' },
    });
    try {
      const jwt = await idp.issue({ sub: 'erin', roles: ['approver'] });
      const me = await api({ url: server.url, token: jwt })('GET', '/whoami');
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ id: 'erin', role: 'approver', via: 'oidc' });
      const config = await api({ url: server.url, token: '' })('GET', '/auth/config');
      expect(config.json.oidc).toMatchObject({ issuer: idp.issuer, client_id: 'rds-provisioner-web' });
      expect(server.output.join('\n')).not.toContain(jwt);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('names each bad flag at once, exits 2 and creates nothing', async () => {
    const dataDir = join(tempDir('oidc-flags'), 'data');
    const run = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--oidc-issuer',
      'http://idp.example.com',
      '--oidc-client-id',
      'web app',
    ]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'OIDC settings: --oidc-issuer: must be an https URL (http only on localhost, 127.0.0.1 or [::1]), without query or fragment; --oidc-client-id: must be printable text without spaces, 1 to 200 characters; RDS_PROVISIONER_OIDC_AUDIENCE: required with an issuer (the audience the JWTs are issued for: this API)\n',
    });
    expect(existsSync(dataDir)).toBe(false);
    const stray = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--oidc-audience', 'api']);
    expect(stray).toEqual({
      code: 2,
      stdout: '',
      stderr: 'OIDC settings: --oidc-audience: has no effect without RDS_PROVISIONER_OIDC_ISSUER\n',
    });
    expect(existsSync(dataDir)).toBe(false);
  });
});
