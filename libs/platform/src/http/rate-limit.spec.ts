import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AuthModule, Roles } from '../auth/auth.guard.js';
import { CredentialStore } from '../auth/credentials.js';
import { BaseAppConfig } from '../config/base-config.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { loggingModule } from '../logging/logging.js';
import { createHttpApp, trustProxy } from './bootstrap.js';

@Roles('officer')
@Controller('ping')
class PingController {
  @Get()
  ping() {
    return { ok: true };
  }
}

const credentials = new CredentialStore()
  .add({ role: 'officer', authority: 'HK', name: 'officer-hk' }, 'token-a')
  .add({ role: 'officer', authority: 'MO', name: 'officer-mo' }, 'token-b');

@Module({ imports: [loggingModule('rate-limit-spec', 'fatal'), AuthModule.forRoot(credentials)], controllers: [PingController] })
class PingModule {}

const minimal = { KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' };

async function start(env: Record<string, string>): Promise<NestExpressApplication> {
  const app = await createHttpApp(PingModule, loadConfig(BaseAppConfig, { ...minimal, RATE_LIMIT_PER_MINUTE: '2', ...env }));
  await app.init();
  return app;
}

/** Statuses of successive GET /ping with the given headers. */
async function statuses(app: NestExpressApplication, requests: Record<string, string>[]): Promise<number[]> {
  const result: number[] = [];
  for (const headers of requests) result.push((await request(app.getHttpServer()).get('/ping').set(headers)).status);
  return result;
}

describe('rate limiting behind a proxy (TRUST_PROXY) and by credential', () => {
  const apps: NestExpressApplication[] = [];
  let direct: NestExpressApplication;
  let proxied: NestExpressApplication;
  beforeAll(async () => {
    direct = await start({});
    proxied = await start({ TRUST_PROXY: '1' });
    apps.push(direct, proxied);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  const bearer = (token: string, address: string) => ({ authorization: `Bearer ${token}`, 'x-forwarded-for': address });

  it('gives each credential its own budget, wherever its requests come from', async () => {
    expect(await statuses(proxied, [bearer('token-a', '10.0.0.1'), bearer('token-a', '10.0.0.2'), bearer('token-a', '10.0.0.3')])).toEqual([200, 200, 429]);
    // Another credential from the same addresses is not limited by the first one's use.
    expect(await statuses(proxied, [bearer('token-b', '10.0.0.1'), bearer('token-b', '10.0.0.1')])).toEqual([200, 200]);
  });

  it('counts requests without a valid credential by client address: the forwarded one only when the proxy is trusted', async () => {
    const anonymous = (address: string) => ({ 'x-forwarded-for': address });
    // Behind one trusted proxy: each forwarded client address has its own budget.
    expect(await statuses(proxied, [anonymous('192.0.2.1'), anonymous('192.0.2.1'), anonymous('192.0.2.1'), anonymous('192.0.2.2')])).toEqual([
      401, 401, 429, 401,
    ]);
    // Without TRUST_PROXY the header is the client's word: ignored, every request is the socket's address.
    expect(await statuses(direct, [anonymous('192.0.2.1'), anonymous('192.0.2.2'), anonymous('192.0.2.3')])).toEqual([401, 401, 429]);
  });

  it('does not give invented credentials fresh budgets', async () => {
    const invented = (n: number) => ({ authorization: `Bearer invented-${n}`, 'x-forwarded-for': '198.51.100.7' });
    expect(await statuses(proxied, [invented(1), invented(2), invented(3)])).toEqual([401, 401, 429]);
  });

  it('reads TRUST_PROXY as false, a hop count or a list of proxies, and refuses true naming the variable', () => {
    expect(trustProxy('false')).toBe(false);
    expect(trustProxy('2')).toBe(2);
    expect(trustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig(BaseAppConfig, minimal).TRUST_PROXY).toBe('false');
    expect(() => loadConfig(BaseAppConfig, { ...minimal, TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig(BaseAppConfig, { ...minimal, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });
});
