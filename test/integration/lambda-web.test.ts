import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCall, apiGatewayEvent, lambdaContext } from '../support/lambda-events.js';
import { builtWebFunction, type ProxyHandler, WEB_DIR as WEB } from '../support/web-function.js';

/**
 * The web function (src/runtime/lambda/web.ts, its code in web-handler.ts) as Lambda runs it: built by scripts/build-lambda.mjs, as
 * `sam build` builds it, from the page `npm run build` wrote to dist/web, and invoked with API Gateway's
 * events. It serves the page's three files and nothing else, with the local server's security headers.
 */

describe('the web function', () => {
  let web: { handler: ProxyHandler; remove: () => void };
  beforeAll(async () => {
    web = await builtWebFunction();
  }, 60_000);
  afterAll(() => web?.remove());

  /** The answer, its headers as API Gateway sends them (single and multi-value headers merged). */
  const get = async (path: string, call: Partial<ApiCall> = {}, stagePath?: string) => {
    const event = apiGatewayEvent({ method: 'GET', path, userArn: null, ...call });
    if (stagePath) event.requestContext.path = stagePath;
    const answer = await web.handler(event, lambdaContext('web'));
    const multi = Object.entries(answer.multiValueHeaders ?? {}).map(([k, v]) => [k, v.join(',')]);
    return { ...answer, headers: { ...Object.fromEntries(multi), ...answer.headers } };
  };

  it.each([
    ['/', 'index.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/assets/app.js', 'app.js', 'text/javascript; charset=utf-8', 'public, max-age=300'],
    ['/assets/app.css', 'app.css', 'text/css; charset=utf-8', 'public, max-age=300'],
  ])('serves GET %s: dist/web/%s as text, with the security headers', async (path, file, type, cache) => {
    const answer = await get(path);
    expect(answer.statusCode).toBe(200);
    expect(answer.isBase64Encoded).toBe(false);
    expect(answer.body).toBe(readFileSync(join(WEB, file), 'utf8'));
    expect(answer.headers).toMatchObject({
      'content-type': type,
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    const csp = String(answer.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
  });

  it.each([
    ['GET', '/assets/index.html'],
    ['GET', '/assets/secrets.json'],
    ['GET', '/assets/..%2Fapp.js'],
    ['GET', '/health'],
    ['GET', '/index.html'],
    ['POST', '/'],
  ])('answers %s %s 404, as JSON naming the path', async (method, path) => {
    const answer = await get(path, { method });
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'not_found',
      message: `no page file at ${method} ${path}`,
    });
  });

  it('sends the stage root named without its slash to …/Prod/, where the relative URLs resolve', async () => {
    const answer = await get('/', {}, '/Prod');
    expect(answer.statusCode).toBe(301);
    expect(answer.headers.location).toBe('/Prod/');
    expect((await get('/', {}, '/Prod/')).statusCode).toBe(200);
  });

  it('names every file of the page relative to the page, so it works under the stage prefix', () => {
    const html = readFileSync(join(WEB, 'index.html'), 'utf8');
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
    expect(urls).toContain('assets/app.js');
    expect(urls.filter((url) => /^(?:\/|[a-z]+:\/\/)/i.test(url))).toEqual([]);
  });
});
