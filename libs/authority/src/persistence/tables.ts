import { quoteIdent } from '#platform';

/** Schema-qualified table names of one authority's schema (identifiers cannot be bound as parameters). */
export class AuthorityTables {
  readonly recordations: string;
  readonly outbox: string;
  readonly idempotencyKeys: string;
  readonly numberSequences: string;

  constructor(readonly schema: string) {
    const s = quoteIdent(schema);
    this.recordations = `${s}.recordations`;
    this.outbox = `${s}.outbox`;
    this.idempotencyKeys = `${s}.idempotency_keys`;
    this.numberSequences = `${s}.number_sequences`;
  }
}
