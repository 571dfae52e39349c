import { describe, expect, it } from 'vitest';
import { localPullPath, pullPageAddress } from '../../src/render/pull-address.js';

describe('the address of a local pull request', () => {
  const page = 'http://127.0.0.1:8080/';

  it("is the web page's address for it, which a browser can open", () => {
    expect(pullPageAddress('http://127.0.0.1:8080', 7)).toBe('http://127.0.0.1:8080/#/pulls/7');
  });

  it("is read back by the page as the API's path of that pull request", () => {
    expect(localPullPath(pullPageAddress('http://127.0.0.1:8080', 7), page)).toBe('/pulls/7');
    expect(localPullPath('#/pulls/12', page)).toBe('/pulls/12');
    // Under a path prefix (an API Gateway stage) the API's path keeps the prefix.
    expect(localPullPath('https://api.example/prod/#/pulls/3', 'https://api.example/prod/')).toBe(
      '/prod/pulls/3',
    );
  });

  it("still recognises the API's own URL that requests stored before name", () => {
    expect(localPullPath('http://127.0.0.1:8080/pulls/7', page)).toBe('/pulls/7');
    expect(localPullPath('https://api.example/prod/pulls/3', 'https://api.example/prod/')).toBe(
      '/prod/pulls/3',
    );
  });

  it('is not any other address', () => {
    for (const url of [
      'https://github.com/acme/infra/pull/7',
      'http://127.0.0.1:8081/#/pulls/7',
      'http://127.0.0.1:8080/other/#/pulls/7',
      '#/pulls/0',
      '#/pulls/07',
      '#/pulls/7/files',
      '#/pulls/abc',
      '#pulls/7',
      '#/pulls/12345678901',
      'http://127.0.0.1:8080/pulls/7/merge',
      'http://[::1',
    ]) {
      expect(localPullPath(url, page), url).toBeUndefined();
    }
  });
});
