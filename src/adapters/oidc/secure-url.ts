/**
 * The one rule for an issuer's URLs (issuer, jwks_uri, discovered endpoints): https, or http only on a
 * loopback host (a provider in tests or on the same machine). Keys fetched over plain http elsewhere could
 * be replaced on the way, and every JWT they verify with them.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isSecureOrLoopback(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

export const SECURE_URL_RULE = 'an https URL (http only on localhost, 127.0.0.1 or [::1])';
