import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchHeadlessChromium } from '../../support/chromium.js';
import request from 'supertest';
import { waitFor } from '#testing';
import { IDP_USERS, TestIdp } from '../../support/idp.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * Issue 21, item 3: an officer signs in on the officers' page through the real login form of the Hong Kong provider
 * (deploy/idp, authorization code + PKCE), sees who is signed in, looks a mark up, and signs out — with no token in a
 * URL, in localStorage or sessionStorage, nor readable by the page's scripts.
 */
describe("officers' page: sign-in through the authority's identity provider", () => {
  let idp: TestIdp;
  let system: TestSystem;
  let registry: INestApplication<Server>;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    idp = await TestIdp.start();
    system = await TestSystem.create('signin');
    const hk = await system.startAuthority('HK');
    registry = await system.startRegistry(idp.env());
    await request(hk.getHttpServer())
      .post('/recordations')
      .set('authorization', `Bearer ${TOKENS.publisher.HK}`)
      .send(
        recordationBody('HK', { mark: { text: '金龍', script: 'Hant', type: 'word' }, rightsHolder: { name: 'Golden Dragon Trading Limited', country: 'HK' } }),
      )
      .expect(201);
    await waitFor(
      async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`)).body.events === 1,
      { description: 'the recordation in the registry' },
    );
    baseUrl = `http://127.0.0.1:${(registry.getHttpServer().address() as AddressInfo).port}/`;
    browser = await launchHeadlessChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await idp?.stop();
  });

  it('signs in with the password at the HK provider, looks up, signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('framenavigated', (frame) => urls.push(frame.url()));
    await page.goto(baseUrl);
    await page.waitForSelector('#sign-in-form:not([hidden])');
    await page.selectOption('#sign-in-authority', 'HK');
    await page.click('#sign-in');

    // The provider's own login form: a wrong password first, then the right one.
    await page.waitForURL((url) => url.href.startsWith(idp.issuer('HK')));
    const [username, password] = IDP_USERS.officer.HK;
    await page.fill('#username', username);
    await page.fill('#password', 'not-the-password');
    await page.click('#kc-login');
    await page.waitForSelector('.error[role="alert"]');
    await page.fill('#password', password);
    await page.click('#kc-login');

    await page.waitForURL((url) => url.href.startsWith(baseUrl) && !url.pathname.startsWith('/auth'));
    await page.waitForSelector('#signed-in:not([hidden])');
    expect(await page.textContent('#signed-in-name')).toBe('hk:officer.chan (HK officer)');
    expect(await page.isHidden('#sign-in-form')).toBe(true);

    await page.fill('#q', '金龍');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#results-section[data-state="results"]');
    const badges = await page.$$eval('#results .badge', (elements) => elements.map((e) => e.getAttribute('data-authority')));
    expect(badges).toEqual(['HK']);

    // No token anywhere the page or a URL could leak it: the session cookie is HttpOnly, storage holds no token.
    const stored = JSON.parse(
      await page.evaluate<string>(
        'JSON.stringify({ cookie: document.cookie, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })',
      ),
    ) as { cookie: string; local: string; session: string };
    expect(stored.cookie).not.toMatch(/rx_session/);
    expect(`${stored.local}${stored.session}`).not.toMatch(/eyJ/);
    expect(urls.join(' ')).not.toMatch(/access_token|id_token|refresh_token|eyJ/);
    const cookies = await context.cookies(baseUrl);
    expect(cookies.find((cookie) => cookie.name === 'rx_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // Without the page's header a cookie-carrying POST is not the page: refused.
    const forged = await page.evaluate(
      async () => (await fetch('api/check/batch', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } })).status,
    );
    expect(forged).toBe(401);

    await page.click('#sign-out');
    await waitFor(
      async () => (await context.request.get(`${baseUrl}auth/session`)).ok() && !(await (await context.request.get(`${baseUrl}auth/session`)).json()).signedIn,
      {
        description: 'the session ended',
      },
    );
    const after = await context.request.get(`${baseUrl}api/check?mark=${encodeURIComponent('金龍')}`);
    expect(after.status()).toBe(401);
    await context.close();
  });
});
