import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { RECORDATION_DATASCHEMA_V1, encodeSignedEvent, type RecordationEvent, type RecordationEventType, type RecordationState } from '#contracts';
import { AuthorityContext } from '../authority.tokens.js';
import { OutboxRepository } from '../persistence/outbox.repository.js';
import { RecordationRepository } from '../persistence/recordation.repository.js';

export interface WriteResult {
  recordationNumber: string;
  version: number;
  eventId: string;
}

/**
 * Persists one accepted transition: the recordation row and its signed event in the outbox, in the caller's
 * transaction. The event is signed here, once, so a re-send is byte-identical and keeps its eventId.
 */
@Injectable()
export class RecordationWriter {
  constructor(
    private readonly context: AuthorityContext,
    private readonly recordations: RecordationRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  buildEvent(state: RecordationState, type: RecordationEventType, changedFields: string[], now: Date): RecordationEvent {
    return {
      specversion: '1.0',
      id: uuidv7({ msecs: now.getTime() }),
      type,
      source: this.context.authority,
      subject: state.recordationNumber,
      sequence: state.version,
      time: now.toISOString(),
      dataschema: RECORDATION_DATASCHEMA_V1,
      datacontenttype: 'application/json',
      data: JSON.parse(JSON.stringify(state)) as RecordationState,
      changedFields,
    };
  }

  /** Returns undefined when a new recordation's number is already taken (nothing written). */
  /** `pictures`: the bytes of the mark's picture when this request supplied it; they travel beside the signed event. */
  async write(
    manager: EntityManager,
    state: RecordationState,
    type: RecordationEventType,
    changedFields: string[],
    now: Date,
    pictures: readonly Buffer[] = [],
  ): Promise<WriteResult | undefined> {
    if (type === 'recordation.created') {
      if (!(await this.recordations.insert(manager, state))) return undefined;
    } else {
      await this.recordations.update(manager, state);
    }
    const event = this.buildEvent(state, type, changedFields, now);
    await this.outbox.append(manager, {
      eventId: event.id,
      recordationNumber: state.recordationNumber,
      sequence: state.version,
      type,
      message: encodeSignedEvent(event, this.context.signingKey, state.mark.representation ? pictures : []),
    });
    return { recordationNumber: state.recordationNumber, version: state.version, eventId: event.id };
  }
}
