import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSignedEvent, encodeSignedEvent, generateSigningKeyPair, parsePrivateKey, parseTrustedKeys, type RecordationEvent } from '#contracts';

/**
 * Issue 20, item 6: the envelope is not CloudEvents, and says so. The log keeps one format (docs/events.md's examples
 * are what the readers accept, `changedFields` and a numeric `sequence` included), and no page calls it CloudEvents
 * except the section that explains why not.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const eventsDoc = read('docs/events.md');

describe('the event envelope (docs/events.md)', () => {
  it('documents examples that the readers accept, in the format of the log', () => {
    const examples = [...eventsDoc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) => JSON.parse(match[1]) as RecordationEvent);
    expect(examples.length).toBe(8);
    const pair = generateSigningKeyPair();
    const trusted = parseTrustedKeys(`CN:doc-key:${pair.publicKey}`);
    for (const event of examples) {
      expect(typeof event.sequence).toBe('number');
      expect(Array.isArray(event.changedFields)).toBe(true);
      const decoded = decodeSignedEvent(encodeSignedEvent(event, { keyId: 'doc-key', privateKey: parsePrivateKey(pair.privateKey) }), trusted, 'CN');
      expect({ type: event.type, decoded: decoded.ok ? 'ok' : decoded }).toEqual({ type: event.type, decoded: 'ok' });
    }
  });

  it('is not called CloudEvents outside the section that says why not', () => {
    const section = eventsDoc.indexOf('## Why the envelope is not CloudEvents');
    expect(section).toBeGreaterThan(0);
    const claims = (text: string) =>
      /CloudEvents?[- ](style |compatible |conformant )?(envelope|event)s?\b(?! SDK)/i.test(text.replace(/not a CloudEvent/gi, ''));
    for (const file of ['README.md', 'docs/architecture.md', 'libs/contracts/src/envelope.ts'])
      expect({ file, claims: claims(read(file)) }).toEqual({ file, claims: false });
    expect(claims(eventsDoc.slice(0, section))).toBe(false);
  });
});
