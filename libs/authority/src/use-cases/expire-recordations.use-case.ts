import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { todayUtc } from '#domain';
import { Clock } from '../authority.tokens.js';
import { RecordationRepository } from '../persistence/recordation.repository.js';
import { ChangeRecordationUseCase } from './change-recordation.use-case.js';

/** Publishes an `expired` event for every recordation whose term has run out, through the normal write path. */
@Injectable()
export class ExpireRecordationsUseCase {
  private readonly logger = new Logger('ExpireRecordations');

  constructor(
    private readonly dataSource: DataSource,
    private readonly recordations: RecordationRepository,
    private readonly change: ChangeRecordationUseCase,
    private readonly clock: Clock,
  ) {}

  /** Returns the numbers it expired. `now` is the clock's unless a caller (a test, a catch-up run) gives one. */
  async execute(now: Date = this.clock.now()): Promise<string[]> {
    const expired: string[] = [];
    for (;;) {
      const due = await this.recordations.dueForExpiry(todayUtc(now), 500);
      if (!due.length) break;
      for (const recordationNumber of due) {
        // Each in its own transaction; the row lock makes a concurrent change (e.g. a renewal) win or wait.
        const result = await this.dataSource
          .transaction((manager) => this.change.execute(manager, recordationNumber, { kind: 'expire' }, now))
          .catch((error: unknown) => {
            this.logger.warn({ recordationNumber, err: error }, 'could not expire recordation');
            return undefined;
          });
        if (result) expired.push(recordationNumber);
      }
      // Stop when a pass made no progress (every due one failed) or there is nothing more.
      if (due.length < 500 || !due.some((number) => expired.includes(number))) break;
    }
    if (expired.length) this.logger.log({ count: expired.length }, 'expired recordations');
    return expired;
  }
}
