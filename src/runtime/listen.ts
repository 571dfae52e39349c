import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

type Fetch = (request: Request) => Response | Promise<Response>;

/** The address could not be bound: one line naming what to change, never a stack. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export interface Listener {
  /** `http://host:port`, with the port the system chose for port 0. */
  url: string;
  /** Starts answering with the app; until then every request gets 503 with Retry-After. */
  serve(fetch: Fetch): void;
  /** Stops taking connections and waits for open ones to finish. */
  close(): Promise<void>;
}

const starting: Fetch = () =>
  Response.json(
    { error: 'starting', message: 'the server is starting; retry in a moment' },
    { status: 503, headers: { 'retry-after': '1' } },
  );

/**
 * Binds the HTTP port before anything else is created, so a taken port costs nothing and says so.
 */
export async function listen(port: number, host: string): Promise<Listener> {
  let handler = starting;
  const server = createAdaptorServer({ fetch: (request) => handler(request), hostname: host }) as Server;
  await new Promise<void>((bound, failed) => {
    const onError = (error: NodeJS.ErrnoException) => failed(listenError(error, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      bound();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    serve: (fetch) => {
      handler = fetch;
    },
    close: () => {
      closing ??= new Promise<void>((done) => server.close(() => done()));
      return closing;
    },
  };
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ListenError(`port ${port} on ${host} is in use; choose another with --port`);
    case 'EACCES':
      return new ListenError(
        `port ${port} on ${host} needs privileges this user lacks; choose another with --port`,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(`${host} is not an address of this machine; choose another with --host`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`host ${host} cannot be resolved; choose another with --host`);
    default:
      return error;
  }
}
