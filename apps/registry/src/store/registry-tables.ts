import { quoteIdent } from '#platform';

/** Schema-qualified table names; the live registry and a replay target differ only by schema. */
export class RegistryTables {
  readonly events: string;
  readonly recordations: string;
  readonly markKeys: string;
  readonly marks: string;
  readonly aliases: string;
  readonly aliasChanges: string;
  readonly consumerOffsets: string;
  readonly quarantine: string;
  readonly pictures: string;
  readonly accessTrail: string;

  constructor(readonly schema: string) {
    const s = quoteIdent(schema);
    this.events = `${s}.events`;
    this.recordations = `${s}.recordations`;
    this.markKeys = `${s}.mark_keys`;
    this.marks = `${s}.marks`;
    this.aliases = `${s}.aliases`;
    this.aliasChanges = `${s}.alias_changes`;
    this.consumerOffsets = `${s}.consumer_offsets`;
    this.quarantine = `${s}.quarantine`;
    this.pictures = `${s}.pictures`;
    this.accessTrail = `${s}.access_trail`;
  }
}
