import { applyDecorators } from './decorators.js';
import { IsString, Length, Matches, isEmail, isISO8601, registerDecorator, type ValidationOptions } from 'class-validator';

/** A string of whole UTF-16 characters: no lone surrogate, which PostgreSQL cannot store in jsonb. */
export const WELL_FORMED_TEXT = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;
/** No control characters (NUL and friends); tab, line feed and carriage return are allowed. */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;

/** A non-blank string within length bounds, with no control characters (NUL and friends) and no lone surrogate. */
export function IsTrimmedText(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsString({ message: 'must be a string' }),
    Length(min, max, { message: `must be between ${min} and ${max} characters` }),
    Matches(/\S/, { message: 'must not be blank' }),
    ...storable(),
  );
}

/** Text PostgreSQL can store: no control characters, no lone UTF-16 surrogate (for strings or, with each, arrays). */
export function IsStorableText(options: ValidationOptions = {}): PropertyDecorator {
  return applyDecorators(...storable(options));
}

function storable(options: ValidationOptions = {}): PropertyDecorator[] {
  return [
    Matches(NO_CONTROL_CHARACTERS, { ...options, message: 'must not contain control characters' }),
    Matches(WELL_FORMED_TEXT, { ...options, message: 'must not contain a lone UTF-16 surrogate' }),
  ];
}

/** True for a string with any control character (tab and line feed too) or a lone surrogate: for path and query values. */
export function hasControlOrLoneSurrogate(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001F\u007F]/.test(value) || !WELL_FORMED_TEXT.test(value);
}

/**
 * An ISO 8601 timestamp (or date) that JavaScript can also read, between the years 1 and 9999. class-validator's
 * strict ISO 8601 alone also takes forms such as `20240101` or `2024-W01` that `new Date()` cannot parse: an
 * Invalid Date then reached the database as a query parameter (a 500).
 */
export function parseTimestamp(value: unknown): Date | undefined {
  // A leading sign is ISO 8601 for expanded years, which V8 then reads leniently (-2024-01-01 as 2024): not taken.
  if (typeof value !== 'string' || !/^\d{4}/.test(value) || !isISO8601(value, { strict: true })) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 ? date : undefined;
}

/** A property decorator from a predicate: class-validator's constraint `name`, with a default message. */
function predicateDecorator(name: string, message: string, validate: (value: unknown) => boolean, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({ name, target: target.constructor, propertyName: propertyName as string, options: { message, ...options }, validator: { validate } });
}

export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return predicateDecorator(
    'isTimestamp',
    'must be an ISO 8601 timestamp such as 2026-01-01T00:00:00Z',
    (value) => parseTimestamp(value) !== undefined,
    options,
  );
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD strictly (a real calendar day between 1900 and 2999); undefined otherwise. */
export function parseCalendarDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || year > 2999) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date;
}

/** A calendar date as YYYY-MM-DD (no time, no zone): recordation terms are whole days. */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return predicateDecorator(
    'isCalendarDate',
    'must be a calendar date YYYY-MM-DD between 1900 and 2999',
    (value) => parseCalendarDate(value) !== undefined,
    options,
  );
}

/**
 * An email address (validator's isEmail), refusing ill-formed text first: isEmail decodes the address and throws
 * `URIError` on a lone surrogate, which failed the whole validation of a request or event instead of one field.
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return predicateDecorator(
    'isEmail',
    'must be an email address',
    (value) => typeof value === 'string' && WELL_FORMED_TEXT.test(value) && isEmail(value),
    options,
  );
}
