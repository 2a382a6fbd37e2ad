import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchHeadlessChromium } from '../../support/chromium.js';
import request from 'supertest';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * The officers' page in headless Chromium (Debian's chromium, driven by playwright-core; no browser download):
 * type a query, see the badges, open the detail and its provenance.
 */
describe("officers' web page", () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    system = await TestSystem.create('web');
    const hk = await system.startAuthority('HK');
    const cn = await system.startAuthority('CN');
    registry = await system.startRegistry();
    await request(hk.getHttpServer())
      .post('/recordations')
      .set('authorization', `Bearer ${TOKENS.publisher.HK}`)
      .send(
        recordationBody('HK', { mark: { text: '金龍', script: 'Hant', type: 'word' }, rightsHolder: { name: 'Golden Dragon Trading Limited', country: 'HK' } }),
      )
      .expect(201);
    const cnNumber = (
      await request(cn.getHttpServer())
        .post('/recordations')
        .set('authorization', `Bearer ${TOKENS.publisher.CN}`)
        .send(
          recordationBody('CN', { mark: { text: '金龙', script: 'Hans', type: 'word' }, rightsHolder: { name: '金龙鱼粮油食品股份有限公司', country: 'CN' } }),
        )
        .expect(201)
    ).body.recordationNumber;
    await request(cn.getHttpServer())
      .post(`/recordations/${cnNumber}/suspension`)
      .set('authorization', `Bearer ${TOKENS.publisher.CN}`)
      .send({ reason: 'ownership review' })
      .expect(200);
    await waitFor(
      async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`)).body.events === 3,
      { description: 'three events in the registry' },
    );
    baseUrl = `http://127.0.0.1:${(registry.getHttpServer().address() as AddressInfo).port}/`;
    browser = await launchHeadlessChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  it('searches, shows a badge per authority and the conflict, and opens provenance', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(baseUrl);
    await page.fill('#credential', TOKENS.officer.HK);
    await page.click('#credential-save');
    await page.fill('#q', '金龍');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#results-section[data-state="results"]');

    const badges = await page.$$eval('#results .badge', (elements) =>
      elements.map((e) => `${e.getAttribute('data-authority')}:${e.getAttribute('data-status')}`),
    );
    expect(badges.sort()).toEqual(['CN:suspended', 'HK:active']);
    expect(await page.isVisible('#results .conflict-warning')).toBe(true);
    expect(new URL(page.url()).searchParams.get('q')).toBe('金龍');

    await page.click('#results .result-open');
    await page.waitForSelector('dialog#detail[open]');
    // The dialog opens at once and fills in when the mark arrives: wait for the section, not just the dialog.
    const toggle = await page.waitForSelector('dialog#detail section.recordation[data-authority="HK"] button.recordation-toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await page.waitForSelector('dialog#detail section.recordation[data-authority="HK"] td.provenance');
    const provenance = await page.$$eval('dialog#detail section.recordation[data-authority="HK"] tr[data-field="mark"] td.provenance', (cells) =>
      cells.map((c) => c.textContent ?? ''),
    );
    expect(provenance.join(' ')).toMatch(/recordation\.created/);
    await page.keyboard.press('Escape');
    await waitFor(async () => !(await page.isVisible('dialog#detail[open]')), { description: 'the dialog closed' });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('switches to Chinese and says when nothing matches', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.fill('#credential', TOKENS.officer.HK);
    await page.click('#credential-save');
    await page.click('button.lang-option[data-lang="zh-Hant"]');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-Hant');
    await page.fill('#q', 'ZZYZX QUORTLE');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#results-section[data-state="empty"]');
    expect(await page.textContent('#empty')).toMatch(/沒有/);
    await page.close();
  });

  it('asks for a credential when the one given is refused', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.fill('#credential', 'wrong-credential');
    await page.click('#credential-save');
    await page.fill('#q', '金龍');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message[data-kind="auth"]');
    expect(await page.getAttribute('#credential', 'aria-invalid')).toBe('true');
    await page.close();
  });
});
