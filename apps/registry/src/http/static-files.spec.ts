import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { officerPage, webRoot } from './static-files.js';

describe('officerPage', () => {
  // A page directory that also holds files at API paths: they must never answer for the API.
  const root = mkdtempSync(path.join(os.tmpdir(), 'officer-page-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(path.join(root, 'app.js'), 'export {};');
  mkdirSync(path.join(root, 'api'));
  writeFileSync(path.join(root, 'api', 'check'), 'shadow');
  writeFileSync(path.join(root, 'metrics'), 'shadow');
  const app = express();
  app.use(officerPage(root));
  app.get('/api/check', (_request, response) => void response.json({ from: 'route' }));
  app.get('/metrics', (_request, response) => void response.type('text/plain').send('route'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves the page and its files', async () => {
    expect((await request(app).get('/').expect(200)).text).toContain('<title>page</title>');
    expect((await request(app).get('/app.js').expect(200)).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('leaves every other path to the routes, whatever the directory holds', async () => {
    expect((await request(app).get('/api/check').expect(200)).body).toEqual({ from: 'route' });
    expect((await request(app).get('/metrics').expect(200)).text).toBe('route');
    await request(app).get('/api/nothing').expect(404);
  });

  it('finds the real page from the sources', () => {
    expect(webRoot()).toMatch(/apps\/registry\/web\/$/);
  });
});
