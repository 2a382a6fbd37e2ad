import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CancellationReason, RecordationFields, RecordationState } from '#contracts';
import {
  amendRecordation,
  cancelRecordation,
  expireRecordation,
  reinstateRecordation,
  renewRecordation,
  revokeRecordation,
  suspendRecordation,
  todayUtc,
  type AuthorityRules,
  type Transition,
} from '#domain';
import { AuthorityContext, Clock } from '../authority.tokens.js';
import { RecordationRepository } from '../persistence/recordation.repository.js';
import { preparePicture } from './mark-picture.js';
import { RecordationWriter } from './recordation-writer.js';
import { recordationNotFound, throwIfRefused } from './transition-errors.js';

/** One change to an existing recordation, as the domain transition it asks for. */
export type RecordationChange =
  | { kind: 'amend'; patch: Partial<RecordationFields>; pictures?: readonly Buffer[] }
  | { kind: 'renew'; validUntil: string }
  | { kind: 'suspend'; reason: string }
  | { kind: 'reinstate'; reason: string }
  | { kind: 'cancel'; reason: CancellationReason; note?: string }
  | { kind: 'revoke'; reason: string }
  | { kind: 'expire' };

export interface ChangeResult {
  recordationNumber: string;
  version: number;
  /** null when an amendment changed nothing (nothing published). */
  eventId: string | null;
  status: string;
}

function transition(change: RecordationChange, current: RecordationState, rules: AuthorityRules, today: string): Transition {
  switch (change.kind) {
    case 'amend':
      return amendRecordation(current, change.patch, rules, today);
    case 'renew':
      return renewRecordation(current, change.validUntil, rules, today);
    case 'suspend':
      return suspendRecordation(current, change.reason);
    case 'reinstate':
      return reinstateRecordation(current, change.reason, today);
    case 'cancel':
      return cancelRecordation(current, change.reason, change.note);
    case 'revoke':
      return revokeRecordation(current, change.reason);
    case 'expire':
      return expireRecordation(current, today);
  }
}

/** Applies a change to a locked recordation and writes the new state with its event. */
@Injectable()
export class ChangeRecordationUseCase {
  constructor(
    private readonly context: AuthorityContext,
    private readonly recordations: RecordationRepository,
    private readonly writer: RecordationWriter,
    private readonly clock: Clock,
  ) {}

  async execute(manager: EntityManager, recordationNumber: string, change: RecordationChange, now: Date = this.clock.now()): Promise<ChangeResult> {
    const current = await this.recordations.findForUpdate(manager, recordationNumber);
    if (!current) throw recordationNotFound(recordationNumber);
    // `{ sha256 }` of the current picture keeps it (the bytes were checked when it was recorded).
    if (change.kind === 'amend' && !change.pictures?.length) await preparePicture(change.patch, current);
    const result = transition(change, current, this.context.rules, todayUtc(now));
    throwIfRefused(result);
    if ('unchanged' in result) return { recordationNumber, version: current.version, eventId: null, status: current.status };
    const written = await this.writer.write(manager, result.state, result.type, result.changedFields, now, change.kind === 'amend' ? change.pictures : []);
    return { recordationNumber, version: written!.version, eventId: written!.eventId, status: result.state.status };
  }
}
