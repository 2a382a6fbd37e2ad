import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsString, Length, Matches, Min, ValidateNested } from 'class-validator';
import { AUTHORITIES, type AuthorityCode } from './authorities.js';
import { REQUIRED_ON_CREATE, RecordationStateDto, type MarkRepresentation, type RecordationState } from './recordation.js';
import { IsTrimmedText } from './validators.js';
import { missingFields, type FieldError } from './validation.js';

/**
 * The envelope's `time` is RFC 3339 (as in CloudEvents, whose attribute names it borrows): a date, a time and an offset. ISO 8601 alone also takes a date without a time, which
 * the database would then read in its own time zone.
 */
const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The envelope of every recordation event. Attribute names borrowed from CloudEvents 1.0, but not a CloudEvent
 * (`changedFields`, a numeric `sequence`, no `ce_*` headers): the signed bytes of the log are the contract, see
 * docs/events.md.
 */
export const EVENT_TYPES = [
  'recordation.created',
  'recordation.amended',
  'recordation.renewed',
  'recordation.suspended',
  'recordation.reinstated',
  'recordation.cancelled',
  'recordation.revoked',
  'recordation.expired',
] as const;
export type RecordationEventType = (typeof EVENT_TYPES)[number];

/** The schema version of `data`; bump on an incompatible change and keep reading the old one. */
export const RECORDATION_DATASCHEMA_V1 = 'urn:recordation-exchange:schema:recordation:v1';
export const SUPPORTED_DATASCHEMAS = [RECORDATION_DATASCHEMA_V1] as const;

/** DSSE payload type of a signed recordation event. */
export const EVENT_PAYLOAD_TYPE = 'application/vnd.recordation-exchange.event.v1+json';

export interface RecordationEvent {
  specversion: '1.0';
  /** UUIDv7: unique and time-ordered. */
  id: string;
  type: RecordationEventType;
  /** The publishing authority. */
  source: AuthorityCode;
  /** The recordation number. */
  subject: string;
  /** The recordation's version after this event; 1 for `created`. */
  sequence: number;
  time: string;
  dataschema: string;
  datacontenttype: 'application/json';
  /** Full recordation state after the change. */
  data: RecordationState;
  /** Top-level fields of `data` that this event changed. */
  changedFields: string[];
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export class RecordationEventDto implements Omit<RecordationEvent, 'data'> {
  @IsIn(['1.0'], { message: 'must be "1.0"' })
  specversion: '1.0';

  @Matches(UUID_V7, { message: 'must be a lower-case UUIDv7' })
  id: string;

  @IsIn(EVENT_TYPES, { message: `must be one of: ${EVENT_TYPES.join(', ')}` })
  type: RecordationEventType;

  @IsIn(AUTHORITIES, { message: `must be one of: ${AUTHORITIES.join(', ')}` })
  source: AuthorityCode;

  @IsTrimmedText(1, 40)
  subject: string;

  @IsInt({ message: 'must be an integer' })
  @Min(1)
  sequence: number;

  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 timestamp' })
  @Matches(RFC3339_DATE_TIME, { message: 'must be an RFC 3339 time with its offset, such as 2024-05-01T08:00:00Z' })
  time: string;

  @IsIn(SUPPORTED_DATASCHEMAS, { message: `must be one of: ${SUPPORTED_DATASCHEMAS.join(', ')}` })
  dataschema: string;

  @IsIn(['application/json'], { message: 'must be application/json' })
  datacontenttype: 'application/json';

  @ValidateNested()
  @Type(() => RecordationStateDto)
  data: RecordationStateDto;

  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 60, { each: true })
  changedFields: string[];
}

/** Cross-field rules a well-formed event must also satisfy. */
export function eventConsistencyErrors(event: RecordationEvent): FieldError[] {
  const errors: FieldError[] = missingFields(event.data as unknown as Record<string, unknown>, [...REQUIRED_ON_CREATE, 'validUntil']).map((error) => ({
    ...error,
    field: `data.${error.field}`,
  }));
  if (event.data.recordationNumber !== event.subject) errors.push({ field: 'data.recordationNumber', reason: 'must equal subject' });
  if (event.data.authority !== event.source) errors.push({ field: 'data.authority', reason: 'must equal source' });
  if (event.data.version !== event.sequence) errors.push({ field: 'data.version', reason: 'must equal sequence' });
  if (event.type === 'recordation.created' && event.sequence !== 1) errors.push({ field: 'sequence', reason: 'must be 1 for recordation.created' });
  if (Number.isNaN(Date.parse(event.time))) errors.push({ field: 'time', reason: 'must be a valid time' });
  const representation = event.data.mark?.representation as (Partial<MarkRepresentation> & { data?: unknown }) | undefined;
  if (representation) {
    if (representation.data !== undefined)
      errors.push({ field: 'data.mark.representation.data', reason: 'must not be in an event: the bytes travel as an attachment' });
    for (const field of ['sha256', 'mediaType', 'width', 'height', 'bytes'] as const) {
      if (representation[field] === undefined) errors.push({ field: `data.mark.representation.${field}`, reason: 'is required' });
    }
  }
  return errors;
}
