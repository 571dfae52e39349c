import { afterEach, describe, expect, it } from 'vitest';
import { handler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { apiGatewayEvent, lambdaContext } from '../support/lambda-events.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The API function refuses a body over its route's limit before it builds anything: no function
 * environment is set here, so any call that got as far as the services would answer 503.
 */
describe('Lambda API: body limits before any service is built', () => {
  afterEach(() => resetServices());

  const call = (path: string, body: string, isBase64Encoded = false) =>
    handler(
      {
        ...apiGatewayEvent({
          method: 'POST',
          path,
          rawBody: body,
          userArn: null,
          headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        }),
        isBase64Encoded,
      },
      lambdaContext('api'),
    );

  it.each([
    ['/webhooks/github', MiB + 1, 'the body must be at most 1048576 bytes'],
    ['/webhooks/github', 10 * MiB, 'the body must be at most 1048576 bytes'],
    ['/provision', 16 * KiB + 1, 'the body must be at most 16384 bytes'],
    ['/pulls/1/merge', 16 * KiB + 1, 'the body must be at most 16384 bytes'],
  ])('POST %s with %i bytes: 413 at once', async (path, bytes, message) => {
    const answer = await call(path, 'x'.repeat(bytes));
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: 'payload_too_large', message });
  });

  it('counts a base64-encoded body by its decoded size', async () => {
    const over = Buffer.alloc(16 * KiB + 1, 0x7b).toString('base64');
    const overAnswer = await call('/provision', over, true);
    expect(overAnswer.statusCode).toBe(413);
    // Over 1 MiB as base64, under it decoded: not refused for its size (here it reaches the unconfigured services).
    const under = Buffer.alloc(MiB - 16, 0x7b).toString('base64');
    expect(under.length).toBeGreaterThan(MiB);
    const underAnswer = await call('/webhooks/github', under, true);
    expect(underAnswer.statusCode).not.toBe(413);
  });
});
