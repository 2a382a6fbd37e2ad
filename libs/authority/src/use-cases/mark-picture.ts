import { HttpException } from '@nestjs/common';
import type { MarkRepresentation, RecordationFields, RecordationState } from '#contracts';
import { FieldValidationException, PictureGate, PicturesBusyError, inspectPicture } from '#platform';

/** Pictures decoded at once by this service, and waiting: beyond that a request gets 429 (a flood of uploads). */
const gate = new PictureGate(2, 32);

type RequestRepresentation = Partial<MarkRepresentation> & { data?: string };

/**
 * Turns a request's `mark.representation` ({ data: base64 }) into what the recordation and its event carry
 * (sha256, mediaType, width, height, bytes — the picture decoded by sharp, never trusted from the declared type) and
 * returns the picture's bytes, which the event carries beside its signed payload. `{ sha256 }` without data keeps
 * the current picture on an amendment. Refusals are 400s naming the field (`field` prefixes it, e.g. a bulk item).
 */
export async function preparePicture(fields: Partial<RecordationFields>, current?: RecordationState, prefix = ''): Promise<Buffer[]> {
  const mark = fields.mark;
  const representation = mark?.representation as RequestRepresentation | undefined;
  if (!mark || !representation) return [];
  const field = `${prefix}mark.representation`;
  if (mark.type === 'word') throw new FieldValidationException([{ field, reason: 'only a figurative or combined mark has a picture' }]);
  if (representation.data === undefined) {
    const kept = current?.mark.representation;
    if (representation.sha256 !== undefined && kept && kept.sha256 === representation.sha256) {
      mark.representation = kept;
      return [];
    }
    throw new FieldValidationException([
      { field: `${field}.data`, reason: 'is required (base64 of a PNG, JPEG or WebP file), unless sha256 names the current picture' },
    ]);
  }
  const bytes = Buffer.from(representation.data, 'base64');
  let checked: Awaited<ReturnType<typeof inspectPicture>>;
  try {
    checked = await gate.run(() => inspectPicture(bytes, representation.mediaType));
  } catch (error) {
    if (error instanceof PicturesBusyError) throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: error.message }, 429);
    throw error;
  }
  if (!checked.ok) throw new FieldValidationException([{ field: `${field}.data`, reason: checked.reason }]);
  if (representation.sha256 !== undefined && representation.sha256 !== checked.representation.sha256) {
    throw new FieldValidationException([{ field: `${field}.sha256`, reason: 'does not match the SHA-256 of data' }]);
  }
  mark.representation = checked.representation;
  return [bytes];
}
