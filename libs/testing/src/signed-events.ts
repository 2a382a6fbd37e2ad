import type { RecordationEvent } from '#contracts';

/** A signed event's message value with its payload changed after signing: the signature no longer matches it. */
export function alterSignedPayload(value: Buffer, change: (payload: RecordationEvent) => void): Buffer {
  const envelope = JSON.parse(value.toString('utf8')) as { payload: string };
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as RecordationEvent;
  change(payload);
  envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
  return Buffer.from(JSON.stringify(envelope));
}
