import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  EVENT_PAYLOAD_TYPE,
  MAX_EVENT_BYTES,
  canonicalJson,
  decodeSignedEvent,
  generateSigningKeyPair,
  parsePrivateKey,
  parseTrustedKeys,
  signDsse,
  type AuthorityCode,
  type QuarantineReason,
  type RecordationEvent,
  type SigningKey,
} from '#contracts';
import { SeededRandom, generateEvents, type GeneratedEvent } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { TOKENS, TestSystem } from '../../support/system.js';
import type { Scenario, ScenarioResult } from '../scenario.js';
import { ChildApp, MiB } from '../support.js';

const AUTHORITIES = ['CN', 'HK', 'MO'] as const;

/** One poison message as written straight to an authority topic, and the reason the registry must give for it. */
interface Poison {
  kind: 'poison';
  authority: AuthorityCode;
  /** Unique message key: how the quarantine row (message_key) is matched back to what was sent. */
  key: string;
  value: Buffer | null;
  reason: QuarantineReason;
}

interface Good {
  kind: 'good';
  event: GeneratedEvent;
}

type Outgoing = Poison | Good;

/**
 * Scenario 6 of the fault suite (issue 9): poison written straight to the authority topics (garbage bytes, JSON
 * that is not an envelope, the wrong payload type, wrong-schema events signed with the right key, forged or
 * mangled signatures, a signer or a topic of another authority, 10 MB payloads), interleaved with valid signed
 * events while the registry (a child process, from dist/) consumes. Every poison message must be quarantined
 * exactly once with its reason (in the database and as a copy on the quarantine topic), every good event merged
 * exactly once, the consumer lag must return to zero, and the registry must stay healthy.
 */
export const poisonEvents: Scenario = async ({ quick, seed }) => {
  const name = 'poison events on the topics';
  const random = new SeededRandom(seed);
  const notes: string[] = [];
  const problems: string[] = [];
  const sizes = quick ? { good: 1000, poison: 300, huge: 2 } : { good: 20_000, poison: 4000, huge: 8 };

  const system = await TestSystem.create('poison');
  let registry: ChildApp | undefined;
  let db: pg.Client | undefined;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, registry?.rssBytes() ?? 0)), 100);
  try {
    const keys = Object.fromEntries(
      AUTHORITIES.map((a) => [a, { keyId: system.keys.signers[a].keyId, privateKey: parsePrivateKey(system.keys.signers[a].privateKey) }]),
    ) as Record<AuthorityCode, SigningKey>;
    const good = generateEvents({ seed, events: sizes.good, keys });
    const poison = makePoison(random, good, keys, sizes.poison, sizes.huge);

    // Self-check: the contract's own decoder gives each poison message the reason it is counted under.
    const trusted = parseTrustedKeys(system.keys.trustedKeys);
    for (const p of poison) {
      const decoded = decodeSignedEvent(p.value, trusted, p.authority);
      if (decoded.ok || decoded.reason !== p.reason) throw new Error(`poison ${p.key} decodes as ${decoded.ok ? 'valid' : decoded.reason}, not ${p.reason}`);
    }

    registry = await ChildApp.start('registry', system.registryEnv({ LOG_LEVEL: 'error' }));
    db = new pg.Client({ connectionString: system.database.url });
    db.on('error', () => undefined);
    await db.connect();

    const began = Date.now();
    await produceInterleaved(random, system, good, poison);
    const produced = good.length + poison.length;

    const client = db;
    await waitFor(async () => (await storedOffsetSum(client)) >= produced, {
      timeoutMs: quick ? 180_000 : 900_000,
      intervalMs: 250,
      description: `the registry's stored offsets to cover all ${produced} messages`,
    });
    const drainedAfter = Date.now() - began;
    const lag = await waitFor(
      async () => {
        const text = await fetch(`${registry!.url}/metrics`).then((r) => r.text());
        const values = [...text.matchAll(/^registry_consumer_lag\{[^}]*topic="([^"]+)"[^}]*\} (\d+(?:\.\d+)?)$/gm)]
          .filter((m) => m[1].startsWith(system.prefix))
          .map((m) => Number(m[2]));
        return values.length > 0 && values.every((v) => v === 0) ? values : undefined;
      },
      { timeoutMs: 30_000, description: 'registry_consumer_lag 0 on every partition' },
    );

    // Good events: each stored once, applied.
    const goodRows: { event_id: string; rows: number; applied: number }[] = (
      await db.query(
        `SELECT ids.id AS event_id, count(e.event_id)::int AS rows, count(*) FILTER (WHERE e.disposition = 'applied')::int AS applied
           FROM unnest($1::uuid[]) AS ids(id) LEFT JOIN registry.events e ON e.event_id = ids.id GROUP BY ids.id`,
        [good.map((g) => g.event.id)],
      )
    ).rows;
    const goodLost = goodRows.filter((r) => r.rows === 0).length;
    const goodTwice = goodRows.filter((r) => r.rows > 1 || r.applied > 1).length;
    const goodNotApplied = goodRows.filter((r) => r.rows === 1 && r.applied !== 1).length;
    if (goodNotApplied) problems.push(`${goodNotApplied} good events stored but not applied`);

    // Poison: each quarantined once, with its reason, from its topic.
    const quarantineRows: { topic: string; key: string | null; reason: string; size: number }[] = (
      await db.query(`SELECT topic, convert_from(message_key, 'UTF8') AS key, reason, octet_length(raw)::int AS size FROM registry.quarantine`)
    ).rows;
    const byKey = new Map<string, { topic: string; reason: string; size: number }[]>();
    for (const row of quarantineRows) byKey.set(row.key ?? '', [...(byKey.get(row.key ?? '') ?? []), row]);
    let poisonLost = 0;
    let poisonTwice = 0;
    let wrongReason = 0;
    for (const p of poison) {
      const rows = byKey.get(p.key) ?? [];
      if (rows.length === 0) poisonLost++;
      if (rows.length > 1) poisonTwice++;
      if (rows.length >= 1 && (rows[0].reason !== p.reason || rows[0].topic !== system.topics[p.authority])) {
        wrongReason++;
        if (wrongReason <= 5) problems.push(`${p.key}: quarantined as ${rows[0].reason} on ${rows[0].topic}, expected ${p.reason}`);
      }
    }
    const unexpected = quarantineRows.filter((r) => !r.key?.startsWith('poison-')).length;
    if (unexpected) problems.push(`${unexpected} quarantine rows that are not poison (good events refused?)`);
    if (wrongReason) problems.push(`${wrongReason} poison messages quarantined with the wrong reason or topic`);
    const bulky = quarantineRows.filter((r) => r.size > MAX_EVENT_BYTES).length;
    if (bulky) problems.push(`${bulky} quarantine rows keep more than ${MAX_EVENT_BYTES} raw bytes`);

    const expectedReasons = countBy(poison.map((p) => p.reason));
    const actualReasons = countBy(quarantineRows.map((r) => r.reason));
    for (const reason of new Set([...Object.keys(expectedReasons), ...Object.keys(actualReasons)])) {
      if (expectedReasons[reason] !== actualReasons[reason])
        problems.push(`reason ${reason}: expected ${expectedReasons[reason] ?? 0}, quarantined ${actualReasons[reason] ?? 0}`);
    }

    // The quarantine topic: at least one full copy of each (at least once), the oversized ones whole.
    const copies = await system.readTopic(system.topics.QUARANTINE, quarantineRows.length, 60_000);
    const hugeCopies = copies.filter((c) => c.headers?.reason?.toString() === 'too-large');
    const hugeSent = poison.filter((p) => p.reason === 'too-large');
    if (copies.length < quarantineRows.length) problems.push(`${copies.length} quarantine topic copies for ${quarantineRows.length} rows`);
    if (new Set(hugeCopies.map((c) => c.key?.toString())).size !== hugeSent.length || hugeCopies.some((c) => (c.value?.length ?? 0) < 10_000_000)) {
      problems.push(
        `oversized copies on the quarantine topic: ${hugeCopies.length} (sizes ${hugeCopies.map((c) => c.value?.length).join(', ')}) for ${hugeSent.length} sent`,
      );
    }

    // Still healthy, and auditors can read the quarantine.
    const health = await fetch(`${registry.url}/health`)
      .then((r) => r.status)
      .catch(() => 0);
    if (health !== 200 || !registry.running) problems.push(`registry /health ${health}, running ${registry.running}`);
    const audit = await fetch(`${registry.url}/api/audit/quarantine?limit=10`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } });
    const auditItems = audit.status === 200 ? ((await audit.json()) as { items: unknown[] }).items.length : -1;
    if (auditItems !== Math.min(10, quarantineRows.length)) problems.push(`GET /api/audit/quarantine answered ${audit.status} with ${auditItems} items`);

    const lost = goodLost + poisonLost;
    const duplicated = goodTwice + poisonTwice;
    notes.push(
      `quarantined by reason: ${Object.entries(actualReasons)
        .sort()
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ')}`,
      `${good.length} good + ${poison.length} poison (${hugeSent.length} × ≥10 MB) drained in ${(drainedAfter / 1000).toFixed(1)} s; lag 0 on ${lag.length} partitions`,
      `${copies.length} copies on the quarantine topic; peak registry RSS ${(peakRss / MiB).toFixed(0)} MiB`,
      ...problems,
    );
    const result: ScenarioResult = {
      scenario: name,
      runs: poison.length,
      events: produced,
      lost,
      duplicated,
      http5xx: 0,
      passed: lost === 0 && duplicated === 0 && problems.length === 0,
      notes,
    };
    return result;
  } finally {
    clearInterval(sampler);
    await registry?.stop().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await deleteTopics(system).catch(() => undefined);
    await system.close();
  }
};

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function storedOffsetSum(db: pg.Client): Promise<number> {
  try {
    return Number((await db.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM registry.consumer_offsets`)).rows[0].n);
  } catch {
    return 0; // before the registry's migrations ran
  }
}

/**
 * The poison, every kind in proportion, in a seeded order. `huge` of them are over 10 MB (half a signed envelope
 * around a 10 MB payload, half random bytes): the rest are small.
 */
function makePoison(random: SeededRandom, good: GeneratedEvent[], keys: Record<AuthorityCode, SigningKey>, count: number, huge: number): Poison[] {
  const stranger: SigningKey = { keyId: keys.HK.keyId, privateKey: parsePrivateKey(generateSigningKeyPair().privateKey) };
  const strangerKeyId: SigningKey = { keyId: 'xx-not-trusted', privateKey: stranger.privateKey };
  const sample = (authority: AuthorityCode): RecordationEvent => {
    const mine = good.filter((g) => g.authority === authority);
    return structuredClone(random.pick(mine).event);
  };
  const signEvent = (payload: unknown, key: SigningKey, payloadType = EVENT_PAYLOAD_TYPE) =>
    Buffer.from(JSON.stringify(signDsse(payloadType, Buffer.from(canonicalJson(payload), 'utf8'), key)), 'utf8');
  const schemaBreakers: Array<(e: RecordationEvent) => void> = [
    (e) => delete (e as Partial<RecordationEvent>).subject,
    (e) => ((e as { sequence: unknown }).sequence = -3),
    (e) => ((e as { specversion: unknown }).specversion = '0.3'),
    (e) => ((e.data as unknown as Record<string, unknown>).niceClasses = 'eighteen'),
    (e) => ((e as { time: unknown }).time = 'yesterday'),
    (e) => ((e as { dataschema: unknown }).dataschema = 'urn:something:else'),
  ];

  type Maker = (authority: AuthorityCode) => { value: Buffer | null; reason: QuarantineReason; authority?: AuthorityCode };
  const makers: Maker[] = [
    // Garbage bytes: random lengths, empty, a tombstone (null value), JSON cut short.
    () => ({ value: Buffer.concat([Buffer.from([0xff]), randomBytesSeeded(random, random.int(0, 4000))]), reason: 'unparseable' }),
    () => ({ value: random.chance(0.5) ? Buffer.alloc(0) : null, reason: 'unparseable' }),
    () => ({ value: Buffer.from('{"payloadType": "application/vnd.recordation-exchange.event.v1+json", "payload": '), reason: 'unparseable' }),
    // Valid JSON that is not an envelope.
    () => ({
      value: Buffer.from(
        random.pick([
          '{"hello": "world"}',
          '[1,2,3]',
          '42',
          'null',
          '"text"',
          '{"payloadType": 1, "payload": "", "signatures": []}',
          '{"payloadType": "x", "payload": "", "signatures": [{"keyid": 1}]}',
        ]),
      ),
      reason: 'bad-envelope',
    }),
    // The wrong payload type, signed with the right key.
    (a) => ({ value: signEvent(sample(a), keys[a], random.pick(['application/json', 'application/vnd.in-toto+json', ''])), reason: 'wrong-payload-type' }),
    // The wrong schema, signed with the right key: it fails on the schema, not on the signature.
    (a) => {
      const event = sample(a);
      random.pick(schemaBreakers)(event);
      return { value: signEvent(event, keys[a]), reason: 'schema-violation' };
    },
    // Forged: signed by a key that is not trusted, under a trusted key id or another one; a mangled signature; none.
    (a) => ({ value: signEvent(sample(a), { ...stranger, keyId: keys[a].keyId }), reason: 'bad-signature' }),
    (a) => ({ value: signEvent(sample(a), strangerKeyId), reason: 'unknown-key' }),
    (a) => {
      const envelope = JSON.parse(signEvent(sample(a), keys[a]).toString()) as { signatures: { sig: string }[] };
      const sig = Buffer.from(envelope.signatures[0].sig, 'base64');
      sig[random.int(0, sig.length - 1)] ^= 0x5a;
      envelope.signatures[0].sig = sig.toString('base64');
      return { value: Buffer.from(JSON.stringify(envelope)), reason: 'bad-signature' };
    },
    (a) => {
      const envelope = JSON.parse(signEvent(sample(a), keys[a]).toString()) as { signatures: unknown[] };
      envelope.signatures = [];
      return { value: Buffer.from(JSON.stringify(envelope)), reason: 'no-signature' };
    },
    // Another authority's key: an HK event (signed by HK) on the CN topic; a CN event signed with HK's key.
    () => ({ value: signEvent(sample('HK'), keys.HK), reason: 'topic-mismatch', authority: 'CN' }),
    () => ({ value: signEvent(sample('CN'), keys.HK), reason: 'signer-mismatch', authority: 'CN' }),
  ];

  const out: Poison[] = [];
  for (let i = 0; i < count - huge; i++) {
    const authority = random.pick(AUTHORITIES);
    const made = random.pick(makers)(authority);
    out.push({ kind: 'poison', authority: made.authority ?? authority, key: `poison-${out.length}`, value: made.value, reason: made.reason });
  }
  for (let i = 0; i < huge; i++) {
    const authority = AUTHORITIES[i % 3];
    let value: Buffer;
    if (i % 2 === 0) {
      const event = sample(authority);
      (event.data as unknown as Record<string, unknown>).goods = 'x'.repeat(10_000_000);
      value = signEvent(event, keys[authority]); // a well-signed event, only far too large
    } else {
      value = randomBytes(10 * MiB);
    }
    out.push({ kind: 'poison', authority, key: `poison-${out.length}`, value, reason: 'too-large' });
  }
  return out;
}

function randomBytesSeeded(random: SeededRandom, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
  return bytes;
}

/**
 * Each authority's messages (its good events in the generator's order, its poison at seeded places between them) as
 * that authority's principal onto its topic, in sends of a few hundred; an oversized message goes in a send of its own.
 */
async function produceInterleaved(random: SeededRandom, system: TestSystem, good: GeneratedEvent[], poison: Poison[]): Promise<void> {
  await Promise.all(
    AUTHORITIES.map(async (authority) => {
      const queue: Outgoing[] = good.filter((g) => g.authority === authority).map((event) => ({ kind: 'good', event }));
      for (const p of poison.filter((q) => q.authority === authority)) queue.splice(random.int(0, queue.length), 0, p);
      const producer = createKafka({
        brokers: TEST_KAFKA_BROKERS,
        clientId: `poison-${authority}`,
        ...TEST_KAFKA_PRINCIPALS[authority],
        logLevel: 'NOTHING',
      }).producer();
      await producer.connect();
      try {
        let pending: { key: string; value: Buffer | null }[] = [];
        const flush = async () => {
          if (pending.length) await producer.send({ topic: system.topics[authority], acks: -1, messages: pending });
          pending = [];
        };
        for (const item of queue) {
          const message = item.kind === 'good' ? { key: item.event.key, value: item.event.value } : { key: item.key, value: item.value };
          if ((message.value?.length ?? 0) > MAX_EVENT_BYTES) {
            await flush();
            pending = [message];
            await flush();
          } else {
            pending.push(message);
            if (pending.length >= 250) await flush();
          }
        }
        await flush();
      } finally {
        await producer.disconnect();
      }
    }),
  );
}

/** The scenario's topics hold tens of MB of poison: removed with the system. */
async function deleteTopics(system: TestSystem): Promise<void> {
  const admin = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'poison-cleanup', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: Object.values(system.topics) });
  } finally {
    await admin.disconnect();
  }
}
