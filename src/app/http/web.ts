import type { Hono } from 'hono';
import type { SignInDeps } from './sign-in.js';

/** The built page: `index.html` and its assets, by file name. */
export type WebAssets = ReadonlyMap<string, { type: string; body: string | Uint8Array<ArrayBuffer> }>;

/**
 * Same-origin only: the page loads nothing from elsewhere and cannot be framed. The one exception is the
 * OIDC provider's token endpoint, which the page calls to exchange its sign-in code (connect-src).
 */
const securityHeaders = (connectTo: string | undefined) => ({
  'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${connectTo ? ` ${connectTo}` : ''}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** The token endpoint's origin, when the page signs in through an OIDC provider that can be reached. */
async function tokenEndpointOrigin(signIn: SignInDeps): Promise<string | undefined> {
  if (!signIn.oidc) return undefined;
  try {
    return new URL((await signIn.oidc()).tokenEndpoint).origin;
  } catch {
    return undefined;
  }
}

/** Paths the page is served at; public, since the page holds nothing until the user signs in. */
export const isWebPath = (path: string) => path === '/' || path.startsWith('/assets/');

/** GET / (the page) and GET /assets/{file}. Not in /openapi.json: they are not part of the API. */
export function registerWebPage<E extends object>(
  app: Hono<E>,
  assets: WebAssets,
  signIn: SignInDeps = {},
): void {
  const serve = async (name: string) => {
    const file = assets.get(name);
    if (!file) return undefined;
    return new Response(file.body, {
      headers: {
        ...securityHeaders(await tokenEndpointOrigin(signIn)),
        'content-type': file.type,
        'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=300',
      },
    });
  };
  app.get('/', async (c) => (await serve('index.html')) ?? c.notFound());
  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    return (name !== 'index.html' && (await serve(name))) || c.notFound();
  });
}
