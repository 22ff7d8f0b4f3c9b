import express from 'express';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mountUi, UI_CONTENT_SECURITY_POLICY } from './mount-ui';

/** A GET with the path sent byte for byte (fetch and URL would resolve the dot segments first). */
function rawGet(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe(`${mountUi.name} under attack`, () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    mountUi(app, { base: '/ui', pageDir: 'apps/verifier/ui' });
    app.use((_req, res) => res.status(404).type('text/plain').send('not found'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each([
    '/ui/../package.json',
    '/ui/lib/../../../package.json',
    '/ui/lib/..%2f..%2f..%2fpackage.json',
    '/ui/%2e%2e/%2e%2e/%2e%2e/package.json',
    '/ui/lib/%2e%2e%5c%2e%2e%5cpackage.json',
    '/ui/..%252f..%252fpackage.json',
    '/ui/vendor/../../package.json',
    '/ui/vendor/..%2f..%2fpackage.json',
    '/ui/%00index.html',
    '/ui/.git/config',
    '/ui/lib/.eslintrc.json',
  ])('serves nothing outside its folders for %s', async (path) => {
    const answer = await rawGet(port, path);
    expect(answer.status).not.toBe(200);
    expect(answer.body).not.toContain('"devDependencies"');
    expect(answer.body).not.toContain('[core]');
  });

  it.each([
    '/ui/vendor/__proto__',
    '/ui/vendor/constructor',
    '/ui/vendor/toString',
    '/ui/vendor/hasOwnProperty',
  ])('serves no prototype member as a vendor module: %s', async (path) => {
    expect((await rawGet(port, path)).status).toBe(404);
  });

  it('serves modules as JavaScript under the strict policy, never sniffed', async () => {
    for (const path of ['/ui/app.js', '/ui/lib/api.js', '/ui/vendor/preact.mjs']) {
      const answer = await rawGet(port, path);
      expect(answer.status).toBe(200);
      expect(answer.type).toMatch(/^(text|application)\/javascript/);
    }
    const page = await new Promise<Record<string, string | string[] | undefined>>((resolve) =>
      request({ host: '127.0.0.1', port, path: '/ui/' }, (res) => {
        res.resume();
        resolve(res.headers);
      }).end(),
    );
    expect(page['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(page['x-content-type-options']).toBe('nosniff');
    expect(page['content-type']).toMatch(/^text\/html/);
  });
});
