import express, { type Express, type Request, type Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The pages are plain ES modules that import Preact, its hooks and htm by path (no bundler, no
 * build step, nothing inline): the strictest policy holds.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const VENDOR: Record<string, () => string> = {
  'preact.mjs': () => join(dirname(require.resolve('preact')), 'preact.mjs'),
  'hooks.mjs': () => join(dirname(require.resolve('preact/hooks')), 'hooks.mjs'),
  'htm.mjs': () => join(dirname(require.resolve('htm')), 'htm.mjs'),
};

/**
 * A vendor module as served: its bare `preact` import made relative (browsers resolve bare
 * specifiers only through an import map, which would have to be an inline script).
 */
function vendorModule(name: string): string | undefined {
  const file = VENDOR[name]?.();
  if (!file) return undefined;
  return readFileSync(file, 'utf8').replace(/from\s*["']preact["']/g, 'from"./preact.mjs"');
}

export interface MountUiOptions {
  /** Where the page lives, e.g. `/ui`. */
  readonly base: string;
  /** The app's own page (index.html and its modules), relative to the repository root. */
  readonly pageDir: string;
}

/** The repository root (the pages are served from source: they need no build), from src or dist. */
const ROOT = (() => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'libs/web-ui/browser'))) return dir;
    if (dirname(dir) === dir) throw new Error(`libs/web-ui/browser not found above ${__dirname}`);
  }
})();

/** This lib's shared browser modules (fetching, formatting, the live event hook, components). */
const BROWSER_DIR = join(ROOT, 'libs/web-ui/browser');

/**
 * Serves an app's dashboard under `base` on its Express instance: `base/` the page,
 * `base/lib/` the shared modules, `base/vendor/` Preact and htm from node_modules. Every answer
 * carries a strict Content-Security-Policy, nosniff and no framing.
 */
export function mountUi(server: Express, options: MountUiOptions): void {
  const { base } = options;
  const vendored = new Map(Object.keys(VENDOR).map((name) => [name, vendorModule(name)!]));
  const secure = (_req: Request, res: Response, next: () => void) => {
    res.set({
      'content-security-policy': UI_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    next();
  };
  // Express matches `base` with and without the slash: redirect only the bare one.
  server.get(base, (req, res, next) =>
    req.originalUrl.split('?')[0] === base ? res.redirect(301, `${base}/`) : next(),
  );
  server.use(`${base}/vendor`, secure, (req, res, next) => {
    const body = vendored.get(req.path.slice(1));
    if (!body) return next();
    res.type('text/javascript').set('cache-control', 'public, max-age=3600').send(body);
  });
  const statics = { index: 'index.html', fallthrough: true, redirect: false, dotfiles: 'deny' as const };
  server.use(`${base}/lib`, secure, express.static(BROWSER_DIR, statics));
  server.use(base, secure, express.static(join(ROOT, options.pageDir), statics));
}
