import { Transform } from 'class-transformer';
import { accessSync, constants, statSync } from 'node:fs';
import { IsBoolean, IsInt, IsOptional, Max, Min, registerDecorator } from 'class-validator';
import { applyDecorators } from '#contracts';

/**
 * Environment variables arrive as strings. These convert what is well-formed and leave anything else as it came, so
 * the validators refuse it with a message that names the variable.
 */
export const envInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);
export const envList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;
export const envBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** An integer variable within [min, max]. */
export function IntVariable(min: number, max: number): PropertyDecorator {
  return applyDecorators(Transform(envInt), IsInt(), Min(min), Max(max));
}

/** `true` or `false`, nothing else. */
export function BooleanVariable(): PropertyDecorator {
  return applyDecorators(Transform(envBoolean), IsBoolean({ message: 'must be true or false' }));
}

/** Why `path` cannot be read as a file (undefined when it can). */
export function unreadableFileReason(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

/** An optional path to a file the process can read (checked at start-up, so a typo fails before anything connects). */
export function ReadableFileVariable(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    IsOptional()(target, propertyName);
    registerDecorator({
      name: 'isReadableFile',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: ({ value }) => `must name a readable file: ${typeof value === 'string' ? unreadableFileReason(value) : 'not a path'}` },
      validator: { validate: (value: unknown) => typeof value === 'string' && value !== '' && unreadableFileReason(value) === undefined },
    });
  };
}
