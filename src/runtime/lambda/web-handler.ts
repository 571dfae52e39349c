import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
// The page `npm run build` wrote (scripts/build-web.mjs), built into this function as text.
import appCss from '../../../dist/web/app.css' with { type: 'text' };
import appJs from '../../../dist/web/app.js' with { type: 'text' };
import indexHtml from '../../../dist/web/index.html' with { type: 'text' };
import { registerWebPage, type WebAssets } from '../../app/http/web.js';
import { contentType } from '../web-assets.js';

/**
 * The web function: the self-service page on AWS, at GET / and GET
 * /assets/{file} of the stage, which API Gateway serves without authentication (the page holds no data;
 * every call it makes to the API carries the credential the person signs in with). The same routes and
 * security headers as the local server's page (src/app/http/web.ts); anything else is 404.
 */

const FILES: Record<string, string> = { 'index.html': indexHtml, 'app.js': appJs, 'app.css': appCss };
const assets: WebAssets = new Map(
  Object.entries(FILES).map(([name, body]) => [name, { type: contentType(name) ?? 'text/plain', body }]),
);

const app = new Hono<{ Bindings: { event: APIGatewayProxyEvent } }>();
// The stage's root named without its slash (https://ID.execute-api.REGION.amazonaws.com/Prod): the
// page's relative URLs resolve against …/Prod/ only, so the browser is sent there.
app.use('/', async (c, next) => {
  const publicPath = c.env.event.requestContext.path;
  if (publicPath && !publicPath.endsWith('/')) return c.redirect(`${publicPath}/`, 301);
  return next();
});
registerWebPage(app, assets);
app.notFound((c) =>
  c.json({ error: 'not_found' as const, message: `no page file at ${c.req.method} ${c.req.path}` }, 404),
);

export const handler = handle(app) as unknown as (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;
