import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { encodeSignedEvent, generateSigningKeyPair, parsePrivateKey } from '#contracts';
import { generateEvents } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, alterSignedPayload, waitFor } from '#testing';
import { TOKENS, TestSystem } from '../../support/system.js';

/**
 * VERIFY_SIGNATURES=false (the benchmark's "verification off" ingest): the registry skips the Ed25519 check and
 * nothing else, and says so wherever provenance is shown; the auditor's re-verification still checks.
 */
describe('registry with signature checks off', () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  const auditor = { authorization: `Bearer ${TOKENS.auditor}` };

  beforeAll(async () => {
    system = await TestSystem.create('unverified');
    registry = await system.startRegistry({ VERIFY_SIGNATURES: 'false' });
  });
  afterAll(() => system?.close());

  it('merges a good and an altered event as unverified, still quarantines an unknown signer, and re-verification tells them apart', async () => {
    const cnKey = { keyId: system.keys.signers.CN.keyId, privateKey: parsePrivateKey(system.keys.signers.CN.privateKey) };
    const stranger = { keyId: 'stranger-1', privateKey: parsePrivateKey(generateSigningKeyPair().privateKey) };
    const [good, tampered, forged] = generateEvents({ seed: 5, events: 40, keys: null }).filter(
      (e) => e.authority === 'CN' && e.event.type === 'recordation.created',
    );
    const altered = alterSignedPayload(encodeSignedEvent(tampered.event, cnKey), (payload) => void (payload.data.rightsHolder.name = 'Counterfeiter Ltd'));

    const producer = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'unverified', ...TEST_KAFKA_PRINCIPALS.CN, logLevel: 'NOTHING' }).producer();
    await producer.connect();
    await producer.send({
      topic: system.topics.CN,
      messages: [
        { key: good.key, value: encodeSignedEvent(good.event, cnKey) },
        { key: tampered.key, value: altered },
        { key: forged.key, value: encodeSignedEvent(forged.event, stranger) },
      ],
    });
    await producer.disconnect();

    const detailOf = (number: string) => request(registry.getHttpServer()).get(`/api/recordations/CN/${number}`).set(auditor);
    const merged = await waitFor(
      async () => {
        const [a, b] = await Promise.all([detailOf(good.event.subject), detailOf(tampered.event.subject)]);
        return a.status === 200 && b.status === 200 ? [a.body, b.body] : undefined;
      },
      { description: 'both CN events merged' },
    );
    for (const detail of merged) expect(detail.provenance.mark).toMatchObject({ keyId: cnKey.keyId, verified: false });
    expect(merged[1].data.rightsHolder.name).toBe('Counterfeiter Ltd');
    // Every lookup result says so too (issue 22, item 6): the detail, and each recordation in a search and a check.
    for (const detail of merged) expect(detail.verified).toBe(false);
    const officer = { authorization: `Bearer ${TOKENS.officer.HK}` };
    const searched = await request(registry.getHttpServer()).get('/api/marks/search').query({ q: good.event.subject }).set(officer).expect(200);
    expect(searched.body.items[0].recordations).toEqual(
      expect.arrayContaining([expect.objectContaining({ recordationNumber: good.event.subject, verified: false })]),
    );
    const checked = await request(registry.getHttpServer()).get('/api/check').query({ mark: merged[0].data.mark.text }).set(officer).expect(200);
    const inCheck = (checked.body.matches as { recordations: { recordationNumber: string; verified: boolean }[] }[]).flatMap((m) => m.recordations);
    expect(inCheck.find((r) => r.recordationNumber === good.event.subject)).toMatchObject({ verified: false });

    const history = await request(registry.getHttpServer()).get(`/api/recordations/CN/${tampered.event.subject}/history`).set(auditor).expect(200);
    expect(JSON.stringify(history.body)).toContain('"verified":false');
    expect(JSON.stringify(history.body)).not.toContain('"verified":true');

    const quarantined = await waitFor(
      async () => {
        const response = await request(registry.getHttpServer()).get('/api/audit/quarantine').set(auditor).expect(200);
        return (response.body.items as { reason: string; keyId: string }[]).find((item) => item.keyId === 'stranger-1');
      },
      { description: 'the unknown signer quarantined' },
    );
    expect(quarantined.reason).toBe('unknown-key');
    await detailOf(forged.event.subject).expect(404);

    const reverified = async (eventId: string) =>
      (await request(registry.getHttpServer()).get('/api/audit/verify').query({ eventId }).set(auditor).expect(200)).body;
    expect(await reverified(good.event.id)).toMatchObject({ verified: true, copies: [{ verified: true, disposition: 'applied' }] });
    expect(await reverified(tampered.event.id)).toMatchObject({
      verified: false,
      copies: [{ verified: false, reason: 'bad-signature', disposition: 'applied' }],
    });
  });
});
