import { applyDecorators } from './decorators.js';
import { IsString, Length, Matches, registerDecorator, type ValidationOptions } from 'class-validator';

/** A non-blank string within length bounds, with no control characters (NUL and friends). */
export function IsTrimmedText(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsString({ message: 'must be a string' }),
    Length(min, max, { message: `must be between ${min} and ${max} characters` }),
    Matches(/\S/, { message: 'must not be blank' }),
    // eslint-disable-next-line no-control-regex
    Matches(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, { message: 'must not contain control characters' }),
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
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a calendar date YYYY-MM-DD between 1900 and 2999', ...options },
      validator: { validate: (value: unknown) => parseCalendarDate(value) !== undefined },
    });
}
