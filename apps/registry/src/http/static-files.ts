import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/** The officers' page lives in apps/registry/web; from dist/ it is found relative to the repository root. */
export function webRoot(): string | undefined {
  const candidates = ['../../web/', '../../../../../apps/registry/web/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((candidate) => existsSync(`${candidate}index.html`));
}

/** The page's files all sit at the top of its directory: `/`, `/app.js`, `/style.css` … */
const PAGE_PATH = /^\/(?:[\w-]+\.(?:html|js|css|svg))?$/;

/**
 * Serves the officers' page from `root`, and only the page: any other path (the API, health, metrics) goes straight on
 * to the routes. Mounted in front of every route, the static middleware stat()ed the file system for each API request:
 * 13 % of the registry thread's profile samples under lookup load (bench/RESULTS.md has the before and after).
 */
export function officerPage(root: string): RequestHandler {
  const serve = express.static(root, { index: 'index.html', maxAge: '1h' });
  return (request, response, next) => {
    if (PAGE_PATH.test(request.path)) serve(request, response, next);
    else next();
  };
}
