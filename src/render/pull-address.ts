/**
 * Where a person opens a pull request of the local git host: the web page's own address for it
 * (`http://127.0.0.1:8080/#/pulls/7`). The API's `/pulls/7` is JSON behind the token, so a browser following
 * it gets a 401; the page opens its review panel for the address instead, once signed in. Written by the
 * local runtime and read by the page: one contract, one place.
 */

const HASH = /^#\/pulls\/([1-9]\d{0,9})$/;
/** The API's own URL, which requests stored before this address name: still the page's to show. */
const API_PATH = /^(?:\/[^/]+)*\/pulls\/[1-9]\d{0,9}$/;

/** The page's address for pull request `number`, with `base` the server's URL (no trailing slash). */
export function pullPageAddress(base: string, number: number): string {
  return `${base}/#/pulls/${number}`;
}

/**
 * The API's path of the pull request `url` names (`/pulls/7`), when it is one this page at `page` shows
 * itself; undefined for any other URL (github.com, another server).
 */
export function localPullPath(url: string, page: string): string | undefined {
  let target: URL;
  let here: URL;
  try {
    here = new URL('.', page);
    target = new URL(url, page);
  } catch {
    return undefined;
  }
  if (target.origin !== here.origin) return undefined;
  const number = HASH.exec(target.hash)?.[1];
  if (number)
    return target.pathname === here.pathname ? new URL(`pulls/${number}`, here).pathname : undefined;
  return !target.hash && API_PATH.test(target.pathname) ? target.pathname : undefined;
}
