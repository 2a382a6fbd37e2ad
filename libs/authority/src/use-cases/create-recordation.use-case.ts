import { ConflictException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { REQUIRED_ON_CREATE, missingFields, type RecordationFields } from '#contracts';
import { createRecordation, todayUtc } from '#domain';
import { FieldValidationException } from '#platform';
import { AuthorityContext, Clock } from '../authority.tokens.js';
import { RecordationRepository } from '../persistence/recordation.repository.js';
import { RecordationWriter, type WriteResult } from './recordation-writer.js';
import { throwIfRefused } from './transition-errors.js';

/** A validated create request (CreateRecordationDto has checked every field's shape). */
export type CreateRecordationCommand = Partial<RecordationFields> & { recordationNumber?: string };

/** Creates a recordation: checks the authority's rules, assigns a number if none was given, writes row + event. */
@Injectable()
export class CreateRecordationUseCase {
  constructor(
    private readonly context: AuthorityContext,
    private readonly recordations: RecordationRepository,
    private readonly writer: RecordationWriter,
    private readonly clock: Clock,
  ) {}

  async execute(manager: EntityManager, command: CreateRecordationCommand, pictures: readonly Buffer[] = []): Promise<WriteResult> {
    const missing = missingFields(command, REQUIRED_ON_CREATE);
    if (missing.length) throw new FieldValidationException(missing);
    const now = this.clock.now();
    const { recordationNumber: requested, ...fields } = command;
    // Check the rules with a placeholder number first, so a refused request consumes no number.
    const number = requested ?? this.context.rules.formatNumber(now.getUTCFullYear(), 1);
    const checked = createRecordation(fields as RecordationFields, number, this.context.rules, todayUtc(now));
    throwIfRefused(checked);
    if ('unchanged' in checked) throw new Error('a create cannot be unchanged');

    const recordationNumber = requested ?? (await this.recordations.nextNumber(manager, now.getUTCFullYear(), this.context.rules.formatNumber));
    const state = { ...checked.state, recordationNumber };
    const written = await this.writer.write(manager, state, checked.type, checked.changedFields, now, pictures);
    if (!written) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `recordation ${recordationNumber} already exists` });
    return written;
  }
}
