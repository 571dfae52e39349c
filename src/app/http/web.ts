import type { Hono } from 'hono';

/** The built page: `index.html` and its assets, by file name. */
export type WebAssets = ReadonlyMap<string, { type: string; body: string | Uint8Array<ArrayBuffer> }>;

/** Same-origin only: the page loads nothing from elsewhere and cannot be framed. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Paths the page is served at; public, since the page holds nothing until the user signs in. */
export const isWebPath = (path: string) => path === '/' || path.startsWith('/assets/');

/** GET / (the page) and GET /assets/{file}. Not in /openapi.json: they are not part of the API. */
export function registerWebPage<E extends object>(app: Hono<E>, assets: WebAssets): void {
  const serve = (name: string) => {
    const file = assets.get(name);
    if (!file) return undefined;
    return new Response(file.body, {
      headers: {
        ...SECURITY_HEADERS,
        'content-type': file.type,
        'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=300',
      },
    });
  };
  app.get('/', (c) => serve('index.html') ?? c.notFound());
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    return (name !== 'index.html' && serve(name)) || c.notFound();
  });
}
