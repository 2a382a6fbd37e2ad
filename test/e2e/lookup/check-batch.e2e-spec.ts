import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

interface CheckAnswer {
  recorded: boolean;
  matches: { markId: string; text: string; matchedBy: string; score: number; recordations: { authority: string; recordationNumber: string }[] }[];
}
type BatchAnswer = { index: number; lineId?: string | number } & (
  CheckAnswer | { error: { field: string; reason: string }; errors: { field: string; reason: string }[] }
);

/** Bulk screening (issue 18, item 4): POST /api/check/batch answers each line as /api/check would, streamed, in order. */
describe('POST /api/check/batch', () => {
  let system: TestSystem;
  let registry: INestApplication;
  let cnNumber = '';
  const officer = { authorization: `Bearer ${TOKENS.officer.HK}` };

  const single = async (mark: string, niceClass?: number): Promise<CheckAnswer> =>
    (
      await request(registry.getHttpServer())
        .get('/api/check')
        .query(niceClass === undefined ? { mark } : { mark, niceClass })
        .set(officer)
        .expect(200)
    ).body;

  beforeAll(async () => {
    system = await TestSystem.create('batch');
    const cn = await system.startAuthority('CN');
    const hk = await system.startAuthority('HK');
    registry = await system.startRegistry();
    const publish = async (app: INestApplication, authority: 'CN' | 'HK', body: Record<string, unknown>) =>
      (await request(app.getHttpServer()).post('/recordations').set('authorization', `Bearer ${TOKENS.publisher[authority]}`).send(body).expect(201)).body
        .recordationNumber as string;
    cnNumber = await publish(cn, 'CN', recordationBody('CN'));
    await publish(hk, 'HK', recordationBody('HK'));
    await publish(
      hk,
      'HK',
      recordationBody('HK', {
        mark: { text: 'NIKE', script: 'Latn', type: 'word' },
        niceClasses: [25, 28],
        rightsHolder: { name: 'Nike, Inc.', country: 'US' },
      }),
    );
    await publish(
      cn,
      'CN',
      recordationBody('CN', {
        mark: { text: '耐克', script: 'Hans', type: 'word' },
        niceClasses: [25],
        rightsHolder: { name: 'Nike, Inc.', nameAlt: '耐克公司', country: 'US' },
      }),
    );
    await waitFor(
      async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`)).body.recordations === 4,
      {
        description: 'four recordations in the registry',
      },
    );
    await request(registry.getHttpServer())
      .post('/api/admin/aliases')
      .set('authorization', `Bearer ${TOKENS.admin}`)
      .send({ from: '耐吉', to: '耐克' })
      .expect(201);
  });
  afterAll(() => system?.close());

  /** Every kind of good line: exact, 简/繁, transliteration, alias, number, look-alike, misspelt, miss, with and without a class. */
  const goodLines = () => [
    { mark: '愛馬仕', lineId: 'a' },
    { mark: '爱马仕', niceClass: 18, lineId: 'b' },
    { mark: 'HERMES', niceClass: 25, lineId: 'c' },
    { mark: '耐吉' },
    { mark: cnNumber, lineId: 7 },
    { mark: 'N1KE', lineId: 'lookalike' },
    { mark: 'HERNES', lineId: 'misspelt' },
    { mark: 'ZZYZX QUORTLE', lineId: 'miss' },
    { mark: 'nike', niceClass: 28 },
  ];

  it('answers each line as /api/check does, in order, with the line id and index (JSON array in, JSON array out)', async () => {
    const lines = goodLines();
    const response = await request(registry.getHttpServer()).post('/api/check/batch').set(officer).send(lines).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const answers: BatchAnswer[] = response.body;
    expect(answers).toHaveLength(lines.length);
    for (const [index, line] of lines.entries()) {
      const expected = await single(line.mark, line.niceClass);
      expect(answers[index]).toEqual({ index, ...(line.lineId === undefined ? {} : { lineId: line.lineId }), ...expected });
    }
    // The answers are real ones, not all empty.
    expect(answers.filter((answer) => 'recorded' in answer && answer.recorded).length).toBeGreaterThanOrEqual(5);
    expect(answers[7]).toEqual({ index: 7, lineId: 'miss', recorded: false, matches: [] });
    expect(answers[3]).toMatchObject({ recorded: true, matches: [expect.objectContaining({ matchedBy: 'alias' })] });
  });

  it('answers NDJSON with NDJSON, one line per line, blank lines skipped', async () => {
    const lines = goodLines();
    const body = lines.map((line) => JSON.stringify(line)).join('\n\n') + '\n';
    const response = await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set(officer)
      .set('content-type', 'application/x-ndjson')
      .send(body)
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const answers = response.text
      .trimEnd()
      .split('\n')
      .map((row) => JSON.parse(row) as BatchAnswer);
    const json: BatchAnswer[] = (await request(registry.getHttpServer()).post('/api/check/batch').set(officer).send(lines).expect(200)).body;
    expect(answers).toEqual(json);
  });

  it('answers bad lines with an error naming the field and the reason, and the rest as usual', async () => {
    const lines: unknown[] = [
      { mark: '', lineId: 'empty' },
      { mark: 'x'.repeat(201), lineId: 'long' },
      { mark: 'NI\u0000KE', lineId: 'nul' },
      { mark: 42, lineId: 'type' },
      { mark: 'NIKE', niceClass: 46, lineId: 'class' },
      { mark: 'NIKE', niceClass: 'shoes', lineId: 'class-type' },
      { lineId: 'missing' },
      'NIKE',
      { mark: 'NIKE', colour: 'red', lineId: 'unknown' },
      { mark: 'NIKE', lineId: { nested: true } },
      { mark: 'NIKE', lineId: 'good' },
    ];
    const answers: BatchAnswer[] = (await request(registry.getHttpServer()).post('/api/check/batch').set(officer).send(lines).expect(200)).body;
    expect(answers.map((answer) => answer.index)).toEqual(lines.map((_line, index) => index));
    const fieldOf = (index: number) => {
      const answer = answers[index];
      if (!('errors' in answer)) throw new Error(`line ${index} was answered: ${JSON.stringify(answer)}`);
      expect(answer.error).toEqual(answer.errors[0]);
      for (const error of answer.errors) expect(error.reason).toEqual(expect.any(String));
      return answer.errors.map((error) => error.field);
    };
    expect(fieldOf(0)).toContain('mark');
    expect(fieldOf(1)).toContain('mark');
    expect(fieldOf(2)).toEqual(['mark']);
    expect(fieldOf(3)).toContain('mark');
    expect(fieldOf(4)).toContain('niceClass');
    expect(fieldOf(5)).toContain('niceClass');
    expect(fieldOf(6)).toContain('mark');
    expect(fieldOf(7)).toEqual(['(line)']);
    expect(fieldOf(8)).toContain('colour');
    expect(fieldOf(9)).toContain('lineId');
    expect(answers[0]).toMatchObject({ lineId: 'empty' });
    expect(answers[10]).toEqual({ index: 10, lineId: 'good', ...(await single('NIKE')) });
    expect(answers[10]).toMatchObject({ recorded: true });
  });

  it('answers at the route as Express spells it too (trailing slash, upper case)', async () => {
    for (const path of ['/api/check/batch/', '/API/Check/Batch']) {
      const response = await request(registry.getHttpServer())
        .post(path)
        .set(officer)
        .send([{ mark: 'NIKE', lineId: 'x' }])
        .expect(200);
      expect(response.body).toEqual([{ index: 0, lineId: 'x', ...(await single('NIKE')) }]);
    }
  });

  it('answers an NDJSON line that is not JSON with an error of its own', async () => {
    const body = `{"mark":"NIKE","lineId":"1"}\n{"mark": oops\n{"mark":"耐克","lineId":"3"}\n`;
    const response = await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set(officer)
      .set('content-type', 'application/x-ndjson')
      .send(body)
      .expect(200);
    const answers = response.text
      .trimEnd()
      .split('\n')
      .map((row) => JSON.parse(row) as BatchAnswer);
    expect(answers.map((answer) => answer.index)).toEqual([0, 1, 2]);
    expect(answers[0]).toMatchObject({ lineId: '1', recorded: true });
    expect(answers[1]).toMatchObject({ error: { field: '(line)', reason: 'is not valid JSON' } });
    expect(answers[2]).toMatchObject({ lineId: '3', recorded: true });
  });

  it('streams a full batch of 10 000 lines in order', async () => {
    const marks = ['NIKE', '耐克', '愛馬仕', 'QUORTLE', 'N1KE'];
    const lines = Array.from({ length: 10_000 }, (_, index) => ({ mark: marks[index % marks.length], lineId: `L${index}` }));
    const expected = await Promise.all(marks.map((mark) => single(mark)));
    const response = await request(registry.getHttpServer()).post('/api/check/batch').set(officer).send(lines).expect(200);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const answers: BatchAnswer[] = response.body;
    expect(answers).toHaveLength(10_000);
    answers.forEach((answer, index) => expect(answer).toEqual({ index, lineId: `L${index}`, ...expected[index % marks.length] }));
  });

  it('refuses more than 10 000 lines with 413 naming the limit, as JSON and as NDJSON', async () => {
    const lines = Array.from({ length: 10_001 }, () => ({ mark: 'NIKE' }));
    const json = await request(registry.getHttpServer()).post('/api/check/batch').set(officer).send(lines).expect(413);
    expect(json.body.message).toContain('10000');
    expect(json.body.message).toContain('10 000');
    const ndjson = await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set(officer)
      .set('content-type', 'application/x-ndjson')
      .send(lines.map((line) => JSON.stringify(line)).join('\n'))
      .expect(413);
    expect(ndjson.body.message).toContain('10000');
  });

  it.each([
    ['a body that is not JSON', 'application/json', '[{"mark": "NIKE"'],
    ['an object instead of an array', 'application/json', '{"mark":"NIKE"}'],
    ['an empty array', 'application/json', '[]'],
    ['NDJSON of which no line is JSON', 'application/x-ndjson', 'NIKE\nADIDAS\n'],
    ['a body that is not UTF-8', 'application/json', Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d])],
  ])('refuses %s with 400 naming the body', async (_what, type, body) => {
    const response = await request(registry.getHttpServer()).post('/api/check/batch').set(officer).set('content-type', type).send(body).expect(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['(body)']);
  });

  it('authenticates before reading the body: officers and auditors only', async () => {
    const body = JSON.stringify([{ mark: 'NIKE' }]);
    await request(registry.getHttpServer()).post('/api/check/batch').set('content-type', 'application/json').send(body).expect(401);
    await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set('authorization', 'Bearer wrong')
      .set('content-type', 'application/json')
      .send(body)
      .expect(401);
    await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set('authorization', `Bearer ${TOKENS.admin}`)
      .set('content-type', 'application/json')
      .send(body)
      .expect(403);
    await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set('authorization', `Bearer ${TOKENS.auditor}`)
      .set('content-type', 'application/json')
      .send(body)
      .expect(200);
    // A body far beyond every limit, without a credential: refused by the guard, not by a body parser reading it.
    const big = JSON.stringify(Array.from({ length: 20_000 }, () => ({ mark: 'x'.repeat(190) })));
    const anonymous = await request(registry.getHttpServer()).post('/api/check/batch').set('content-type', 'application/json').send(big);
    expect(anonymous.status).toBe(401);
    const tooBig = await request(registry.getHttpServer())
      .post('/api/check/batch')
      .set(officer)
      .set('content-type', 'application/json')
      .send(' '.repeat(17 * 1024 * 1024));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.message).toContain('10000');
  });
});
