import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { CredentialStore } from '../auth/credentials.js';
import { authenticateLargeBodies } from './authenticate-large-bodies.js';

/** Sends a request's head and part of its body on a raw socket; resolves with the response text once it ends. */
async function partialRequest(port: number, headers: Record<string, string>, sent: number): Promise<{ response: string; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let response = '';
  socket.on('data', (chunk) => (response += chunk.toString()));
  const head = Object.entries({ Host: 'x', 'Content-Type': 'application/json', ...headers })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.write(`POST /recordations/bulk HTTP/1.1\r\n${head}\r\n\r\n`);
  socket.write('['.padEnd(sent, ' '));
  await Promise.race([once(socket, 'close'), once(socket, 'end')]);
  return { response, socket };
}

describe('authentication before a large body is read', () => {
  let server: Server;
  let port: number;
  const bytesReadByServer: number[] = [];

  beforeAll(async () => {
    const app = express();
    app.use((req, _res, next) => {
      req.socket.once('close', () => bytesReadByServer.push(req.socket.bytesRead));
      next();
    });
    app.use(authenticateLargeBodies(new CredentialStore().add({ role: 'publisher', authority: 'HK', name: 'p' }, 'good-token')));
    app.use(express.json({ limit: '50mb' }));
    app.post('/recordations/bulk', (req, res) => res.json({ items: (req.body as unknown[]).length }));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 401 to an anonymous 50 MB body after 64 KB of it, and closes without reading the rest', async () => {
    const { response } = await partialRequest(port, { 'Content-Length': String(50 * 1024 * 1024) }, 64 * 1024);
    expect(response).toMatch(/^HTTP\/1\.1 401 /);
    expect(response).toMatch(/bearer credential is required before a body larger than 8192 bytes/);
    await new Promise((resolve) => setImmediate(resolve));
    // Whatever the kernel delivered of the 64 KB sent is all it read: far from 50 MB.
    expect(Math.max(...bytesReadByServer)).toBeLessThan(256 * 1024);
  });

  it('refuses a chunked body of unknown size and a bad credential the same way', async () => {
    expect((await partialRequest(port, { 'Transfer-Encoding': 'chunked' }, 10)).response).toMatch(/^HTTP\/1\.1 401 /);
    expect((await partialRequest(port, { 'Content-Length': '20000', Authorization: 'Bearer wrong-token' }, 100)).response).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('reads the body of a valid credential, and a small body before the guard as before', async () => {
    const items = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i })));
    const answer = await fetch(`http://127.0.0.1:${port}/recordations/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer good-token' },
      body: items,
    });
    expect([answer.status, await answer.json()]).toEqual([200, { items: 2000 }]);
    const small = await fetch(`http://127.0.0.1:${port}/recordations/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    expect(small.status).toBe(200);
  });
});
