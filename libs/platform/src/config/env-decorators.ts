import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
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
