/**
 * Fetching an issuer's documents (discovery, JWKS) with bounds: a deadline for the whole answer and a
 * size past which reading stops, so a slow or hostile issuer cannot hold a request or fill memory.
 */

/** How long and how much: the defaults suit every real provider (a JWKS is a few kilobytes). */
export interface FetchBounds {
  /** Milliseconds for the whole answer, body included (default 5000). */
  timeoutMs: number;
  /** Bytes of body read at most (default 256 KiB). */
  maxBytes: number;
}

export const DEFAULT_FETCH_BOUNDS: FetchBounds = { timeoutMs: 5_000, maxBytes: 256 * 1024 };

/** The answer was larger than the bound: it is not read further. */
export class TooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
    this.name = 'TooLargeError';
  }
}

/**
 * `fetch` that reads at most `maxBytes` of the body (the deadline is the caller's `signal`) and answers a
 * Response holding what was read. Redirects are not followed: an issuer's documents are at their URLs.
 */
export async function fetchBounded(
  url: string,
  init: { signal: AbortSignal; headers?: Headers | Record<string, string> },
  maxBytes: number,
): Promise<Response> {
  const response = await fetch(url, { ...init, method: 'GET', redirect: 'manual' });
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new TooLargeError(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new TooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}
