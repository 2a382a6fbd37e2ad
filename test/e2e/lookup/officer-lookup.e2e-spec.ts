import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { waitFor } from '#testing';
import { RegistryQueries } from '../../../apps/registry/src/store/registry-queries.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

interface Hit {
  markId: string;
  text: string;
  matchedBy: string;
  score: number;
  recorded: boolean;
  conflict: boolean;
  recordations: { authority: string; recordationNumber: string; status: string; niceClasses: number[] }[];
}

/** Officers' lookup (issue 6) on real data through Kafka: each way a mark is found, each filter, pages, refusals. */
describe("officers' lookup", () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  const numbers: Record<string, string> = {};
  const officer = { authorization: `Bearer ${TOKENS.officer.HK}` };

  async function search(query: Record<string, string | number>): Promise<{ items: Hit[]; nextCursor: string | null }> {
    return (await request(registry.getHttpServer()).get('/api/marks/search').query(query).set(officer).expect(200)).body;
  }

  beforeAll(async () => {
    system = await TestSystem.create('lookup');
    const cn = await system.startAuthority('CN');
    const hk = await system.startAuthority('HK');
    const mo = await system.startAuthority('MO');
    registry = await system.startRegistry();
    const publish = async (app: INestApplication<Server>, authority: 'CN' | 'HK' | 'MO', name: string, body: Record<string, unknown>) => {
      const response = await request(app.getHttpServer())
        .post('/recordations')
        .set('authorization', `Bearer ${TOKENS.publisher[authority]}`)
        .send(body)
        .expect(201);
      numbers[name] = response.body.recordationNumber;
    };
    await publish(cn, 'CN', 'cnHermes', recordationBody('CN'));
    await publish(hk, 'HK', 'hkHermes', recordationBody('HK'));
    await publish(
      mo,
      'MO',
      'moBelem',
      recordationBody('MO', {
        mark: { text: 'Pastéis de Belém', script: 'Latn', type: 'word' },
        niceClasses: [30],
        rightsHolder: { name: 'Antiga Confeitaria de Belém, Lda.', nameAlt: '貝倫蛋撻', country: 'PT' },
      }),
    );
    await publish(
      cn,
      'CN',
      'cnNike',
      recordationBody('CN', {
        mark: { text: '耐克', script: 'Hans', type: 'word' },
        niceClasses: [25],
        rightsHolder: { name: 'Nike, Inc.', nameAlt: '耐克公司', country: 'US' },
        trademarkRegistration: { office: 'CNIPA', number: '8800123', expiresOn: '2040-01-01' },
      }),
    );
    await publish(
      hk,
      'HK',
      'hkNike',
      recordationBody('HK', {
        mark: { text: 'NIKE', script: 'Latn', type: 'word' },
        niceClasses: [25, 28],
        rightsHolder: { name: 'Nike, Inc.', country: 'US' },
      }),
    );
    await publish(
      hk,
      'HK',
      'hkDragon',
      recordationBody('HK', {
        mark: { text: '金龍', script: 'Hant', type: 'word' },
        niceClasses: [29],
        rightsHolder: { name: 'Golden Dragon Trading Limited', country: 'HK' },
      }),
    );
    await publish(
      cn,
      'CN',
      'cnDragon',
      recordationBody('CN', {
        mark: { text: '金龙', script: 'Hans', type: 'word' },
        niceClasses: [29],
        rightsHolder: { name: '金龙鱼粮油食品股份有限公司', country: 'CN' },
      }),
    );
    await publish(
      cn,
      'CN',
      'cnHuawei',
      recordationBody('CN', {
        mark: { text: '华为', script: 'Hans', type: 'word' },
        niceClasses: [9],
        rightsHolder: { name: '华为技术有限公司', country: 'CN' },
      }),
    );
    for (let i = 1; i <= 5; i++)
      await publish(mo, 'MO', `moPage${i}`, recordationBody('MO', { mark: { text: `LUXOR ${i}`, script: 'Latn', type: 'word' }, niceClasses: [14] }));
    await waitFor(
      async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`)).body.recordations === 13,
      {
        description: 'thirteen recordations in the registry',
      },
    );
    await request(registry.getHttpServer())
      .post('/api/admin/aliases')
      .set('authorization', `Bearer ${TOKENS.admin}`)
      .send({ from: '耐吉', to: '耐克' })
      .expect(201);
  });
  afterAll(() => system?.close());

  it('finds the exact text first, with every authority that records it', async () => {
    const { items } = await search({ q: '愛馬仕' });
    expect(items[0]).toMatchObject({ matchedBy: 'exact', score: 1, recorded: true, conflict: false });
    expect(items[0].recordations.map((r) => r.authority).sort()).toEqual(['CN', 'HK']);
  });

  it('treats Simplified and Traditional as the same text (script)', async () => {
    const { items } = await search({ q: '爱马仕' });
    expect(items[0]).toMatchObject({ matchedBy: 'exact' });
    const traditional = await search({ q: '愛馬仕' });
    expect(traditional.items[0].markId).toBe(items[0].markId);
    const dragon = await search({ q: '金龍' });
    expect(dragon.items[0]).toMatchObject({ conflict: true });
    expect(dragon.items[0].recordations.map((r) => r.authority).sort()).toEqual(['CN', 'HK']);
    const simplifiedQuery = await search({ q: '金龙' });
    expect(simplifiedQuery.items[0].markId).toBe(dragon.items[0].markId);
    expect((await search({ q: '華為' })).items[0]).toMatchObject({ matchedBy: 'script', text: '华为', score: 0.95 });
  });

  it('matches through a transliteration, full-width and accents', async () => {
    for (const q of ['HERMES', 'ＨＥＲＭＥＳ', 'Hermès']) {
      const { items } = await search({ q });
      expect({ q, matchedBy: items[0]?.matchedBy, text: items[0]?.text }).toEqual({ q, matchedBy: 'transliteration', text: '爱马仕' });
    }
    expect((await search({ q: 'pasteis de belem' })).items[0]).toMatchObject({ matchedBy: 'exact', text: 'Pastéis de Belém' });
  });

  it('bridges pinyin to Chinese marks', async () => {
    for (const [q, text] of [
      ['naike', '耐克'],
      ['ai ma shi', '爱马仕'],
      ['Huawei', '华为'],
    ]) {
      const { items } = await search({ q });
      expect({ q, matchedBy: items[0]?.matchedBy, text: items[0]?.text }).toEqual({ q, matchedBy: 'transliteration', text });
    }
  });

  it('matches a regional alias from the alias table', async () => {
    const { items } = await search({ q: '耐吉' });
    expect(items[0]).toMatchObject({ matchedBy: 'alias', text: '耐克' });
  });

  it('finds misspellings and look-alikes (fuzzy)', async () => {
    for (const q of ['NIKF', 'N1KE', 'HERNES']) {
      const { items } = await search({ q });
      expect({
        q,
        found: items.some((item) => item.matchedBy === 'fuzzy' && (item.text === 'NIKE' || item.text === '耐克' || item.text === '爱马仕')),
      }).toEqual({ q, found: true });
    }
  });

  it('finds by recordation number and by trademark registration number', async () => {
    expect((await search({ q: numbers.hkNike })).items[0]).toMatchObject({ matchedBy: 'number', text: 'NIKE' });
    expect((await search({ q: '8800123' })).items[0]).toMatchObject({ matchedBy: 'number' });
  });

  it('filters by Nice class, authority, status and holder in either script', async () => {
    expect((await search({ q: 'NIKE', niceClass: 28 })).items[0].recordations.map((r) => r.authority)).toEqual(['HK']);
    expect((await search({ q: 'NIKE', niceClass: 3 })).items).toEqual([]);
    expect((await search({ q: '愛馬仕', authority: 'CN' })).items[0].recordations.map((r) => r.authority)).toEqual(['CN']);
    expect((await search({ q: '愛馬仕', status: 'revoked' })).items).toEqual([]);
    expect((await search({ q: 'Pastéis de Belém', holder: '貝倫' })).items).toHaveLength(1);
    expect((await search({ q: 'Pastéis de Belém', holder: 'Nike' })).items).toEqual([]);
  });

  it('pages with a cursor', async () => {
    const first = await search({ q: 'LUXOR', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const seen = new Set(first.items.map((item) => item.markId));
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await search({ q: 'LUXOR', limit: 2, cursor });
      page.items.forEach((item) => seen.add(item.markId));
      cursor = page.nextCursor;
    }
    expect(seen.size).toBeGreaterThanOrEqual(5);
  });

  it('pages without reading every candidate mark: the same hits in the same order as the full ranking', async () => {
    const queries = registry.get(RegistryQueries);
    for (const q of ['LUXOR', 'NIKE', '爱马仕']) {
      const full = await queries.search(q, {});
      expect(full.length).toBeGreaterThan(0);
      const paged: unknown[] = [];
      for (let offset = 0; offset < full.length + 2; offset += 2) {
        const page = await queries.searchPage(q, {}, offset, 2);
        expect(page.total).toBe(full.length);
        paged.push(...page.items);
      }
      expect(paged).toEqual(full);
    }
  });

  it('lists a weak look-alike in a search though the checks before it, on the same pooled connections, leave it out', async () => {
    for (let round = 0; round < 3; round++) {
      const check = await request(registry.getHttpServer()).get('/api/check').query({ mark: 'HERNES' }).set(officer).expect(200);
      expect(check.body.matches.filter((match: { text: string }) => match.text === '爱马仕')).toEqual([]);
      const { items } = await search({ q: 'HERNES' });
      expect(items.find((item) => item.text === '爱马仕')).toMatchObject({ matchedBy: 'fuzzy' });
    }
  });

  it('answers the border question in one call', async () => {
    const recorded = await request(registry.getHttpServer()).get('/api/check').query({ mark: 'HERMES', niceClass: 18 }).set(officer).expect(200);
    expect(recorded.body.recorded).toBe(true);
    expect(recorded.body.matches[0].recordations.map((r: { authority: string }) => r.authority).sort()).toEqual(['CN', 'HK']);
    const notRecorded = await request(registry.getHttpServer()).get('/api/check').query({ mark: 'ZZYZX QUORTLE' }).set(officer).expect(200);
    expect(notRecorded.body).toEqual({ recorded: false, matches: [] });
  });

  it('shows a mark and a recordation in full, with provenance per field', async () => {
    const { items } = await search({ q: '愛馬仕' });
    const mark = await request(registry.getHttpServer()).get(`/api/marks/${items[0].markId}`).set(officer).expect(200);
    expect(mark.body.recordations).toHaveLength(2);
    const detail = await request(registry.getHttpServer()).get(`/api/recordations/HK/${numbers.hkHermes}`).set(officer).expect(200);
    for (const field of ['mark', 'niceClasses', 'rightsHolder', 'validUntil', 'status']) {
      expect(detail.body.provenance[field]).toMatchObject({
        authority: 'HK',
        type: 'recordation.created',
        sequence: 1,
        topic: system.topics.HK,
        partition: expect.any(Number),
        offset: expect.any(String),
        time: expect.any(String),
        receivedAt: expect.any(String),
      });
    }
  });

  it.each([
    [{}, 'q'],
    [{ q: 'x'.repeat(201) }, 'q'],
    [{ q: 'NIKE', niceClass: '46' }, 'niceClass'],
    [{ q: 'NIKE', niceClass: 'shoes' }, 'niceClass'],
    [{ q: 'NIKE', authority: 'TW' }, 'authority'],
    [{ q: 'NIKE', status: 'lost' }, 'status'],
    [{ q: 'NIKE', limit: '1000' }, 'limit'],
    [{ q: 'NIKE', cursor: '!!' }, 'cursor'],
    [{ q: 'NIKE', colour: 'red' }, 'colour'],
    [{ q: "' OR 1=1 --", niceClass: '1; DROP TABLE marks' }, 'niceClass'],
  ])('refuses %j with 400 naming %s', async (query, field) => {
    const response = await request(registry.getHttpServer()).get('/api/marks/search').query(query).set(officer).expect(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('treats SQL in the query as text', async () => {
    expect((await search({ q: "' OR 1=1 --" })).items).toEqual([]);
  });

  it('serves its OpenAPI description', async () => {
    const response = await request(registry.getHttpServer()).get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/api/marks/search', '/api/check', '/api/recordations/{authority}/{number}']));
  });
});
