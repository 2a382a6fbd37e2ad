import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { AUTHORITIES, type AuthorityCode } from './authorities.js';
import { IsCalendarDate, IsEmailAddress, IsStorableText, IsTrimmedText } from './validators.js';

/**
 * The canonical recordation. JSON names are a contract shared by the three authorities and the registry:
 * fields may be added, never renamed.
 */
export const MARK_TYPES = ['word', 'figurative', 'combined'] as const;
export type MarkType = (typeof MARK_TYPES)[number];

export const RECORDATION_STATUSES = ['active', 'suspended', 'cancelled', 'revoked', 'expired'] as const;
export type RecordationStatus = (typeof RECORDATION_STATUSES)[number];

export const CANCELLATION_REASONS = ['right-lapsed', 'transferred', 'abandoned', 'holder-request'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** Fields whose sharing an authority may restrict to named authorities. */
export const RESTRICTABLE_FIELDS = ['knownInfringers', 'genuineGoods', 'licensees', 'representative'] as const;
export type RestrictableField = (typeof RESTRICTABLE_FIELDS)[number];

/** Picture formats a mark's representation may have (decoded, not declared). */
export const PICTURE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type PictureMediaType = (typeof PICTURE_MEDIA_TYPES)[number];
/** Largest picture file accepted (bytes). */
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024;
/** Largest picture accepted, in pixels (decompression bombs): 40 megapixels. */
export const MAX_PICTURE_PIXELS = 40_000_000;
/** The base64 text of the largest picture. */
export const MAX_PICTURE_BASE64_LENGTH = Math.ceil(MAX_PICTURE_BYTES / 3) * 4;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** ISO 15924 script codes: four letters, first upper-case (Hans, Hant, Latn, Zyyy …). */
const SCRIPT_CODE = /^[A-Z][a-z]{3}$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;
const HS_CODE = /^\d{4}(\.?\d{2}){0,3}$/;

export interface Transliteration {
  script: string;
  text: string;
}
/** The picture of a figurative or combined mark, as a recordation and its events carry it (never the bytes). */
export interface MarkRepresentation {
  /** SHA-256 of the picture's bytes, lower-case hex: what the signed event commits to. */
  sha256: string;
  /** The format found by decoding the bytes (never the declared one). */
  mediaType: PictureMediaType;
  /** Pixels after the EXIF orientation is applied (the first frame of an animation). */
  width: number;
  height: number;
  /** Size of the file in bytes. */
  bytes: number;
}
export interface Mark {
  text: string;
  script?: string;
  type: MarkType;
  transliterations?: Transliteration[];
  representation?: MarkRepresentation;
}
export interface RightsHolder {
  name: string;
  nameAlt?: string;
  country: string;
  address?: string;
}
export interface TrademarkRegistration {
  office: string;
  number: string;
  expiresOn?: string;
}
export interface Party {
  name: string;
  country?: string;
}
export interface GenuineGoods {
  description: string;
  hsCode?: string;
  authorisedImporters?: string[];
  authorisedExporters?: string[];
  ports?: string[];
  features?: string;
}
export interface Representative {
  name: string;
  email?: string;
  phone?: string;
}
export interface FieldRestriction {
  field: RestrictableField;
  sharedWith: AuthorityCode[];
}

/** What an authority's systems submit: every field of the canonical recordation. */
export interface RecordationFields {
  ipType: 'trademark';
  mark: Mark;
  niceClasses: number[];
  goods: string;
  rightsHolder: RightsHolder;
  trademarkRegistration: TrademarkRegistration;
  validFrom: string;
  validUntil: string;
  licensees?: Party[];
  genuineGoods?: GenuineGoods[];
  knownInfringers?: Party[];
  representative?: Representative;
  restrictions?: FieldRestriction[];
}

/** The full state of one recordation after an event: the `data` of every event. */
export interface RecordationState extends RecordationFields {
  recordationNumber: string;
  authority: AuthorityCode;
  status: RecordationStatus;
  statusReason?: string;
  version: number;
}

/** The top-level fields an amendment may change. */
export const AMENDABLE_FIELDS = [
  'mark',
  'niceClasses',
  'goods',
  'rightsHolder',
  'trademarkRegistration',
  'validFrom',
  'validUntil',
  'licensees',
  'genuineGoods',
  'knownInfringers',
  'representative',
  'restrictions',
] as const satisfies readonly (keyof RecordationFields)[];
export type AmendableField = (typeof AMENDABLE_FIELDS)[number];

/** The fields a create request must carry (validUntil may be computed by the authority's rules). */
export const REQUIRED_ON_CREATE = [
  'ipType',
  'mark',
  'niceClasses',
  'goods',
  'rightsHolder',
  'trademarkRegistration',
  'validFrom',
] as const satisfies readonly (keyof RecordationFields)[];

// ---------------------------------------------------------------------------------------------
// class-validator classes. Every top-level field is optional here; which ones are required is
// decided per use (create, amend, event data) by validation.ts, so the rules live in one class.
// ---------------------------------------------------------------------------------------------

export class TransliterationDto implements Transliteration {
  @Matches(SCRIPT_CODE, { message: 'must be an ISO 15924 script code such as Latn, Hans or Hant' })
  script: string;

  @IsTrimmedText(1, 300)
  text: string;
}

/**
 * `mark.representation`. In a request: `{ data }` (base64 of a PNG, JPEG or WebP file; `mediaType` optional and
 * only checked against what the bytes are), or `{ sha256 }` of the recordation's current picture to keep it on an
 * amendment. In a recordation and its events: the metadata the authority derived (sha256, mediaType, width, height,
 * bytes), without `data`: the bytes travel beside the signed payload (docs/events.md).
 */
export class MarkRepresentationDto implements Partial<MarkRepresentation> {
  @IsOptional()
  @IsString({ message: 'must be a base64 string' })
  @Length(1, MAX_PICTURE_BASE64_LENGTH + 4, {
    message: `must be a picture of at most ${MAX_PICTURE_BYTES} bytes (base64: ${MAX_PICTURE_BASE64_LENGTH} characters)`,
  })
  @Matches(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'must be base64 (RFC 4648, no line breaks)' })
  data?: string;

  @IsOptional()
  @Matches(SHA256_HEX, { message: 'must be a SHA-256 in lower-case hex (64 digits)' })
  sha256?: string;

  @IsOptional()
  @IsIn(PICTURE_MEDIA_TYPES, { message: `must be one of: ${PICTURE_MEDIA_TYPES.join(', ')}` })
  mediaType?: PictureMediaType;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  width?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  height?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PICTURE_BYTES)
  bytes?: number;
}

export class MarkDto implements Mark {
  @IsTrimmedText(1, 300)
  text: string;

  @IsOptional()
  @Matches(SCRIPT_CODE, { message: 'must be an ISO 15924 script code such as Latn, Hans or Hant' })
  script?: string;

  @IsIn(MARK_TYPES, { message: `must be one of: ${MARK_TYPES.join(', ')}` })
  type: MarkType;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => TransliterationDto)
  transliterations?: TransliterationDto[];

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => MarkRepresentationDto)
  representation?: MarkRepresentationDto & MarkRepresentation;
}

export class RightsHolderDto implements RightsHolder {
  @IsTrimmedText(1, 300)
  name: string;

  @IsOptional()
  @IsTrimmedText(1, 300)
  nameAlt?: string;

  @Matches(COUNTRY_CODE, { message: 'must be an ISO 3166-1 alpha-2 country code such as CN, HK, MO or FR' })
  country: string;

  @IsOptional()
  @IsTrimmedText(1, 1000)
  address?: string;
}

export class TrademarkRegistrationDto implements TrademarkRegistration {
  @IsTrimmedText(1, 50)
  office: string;

  @IsTrimmedText(1, 50)
  number: string;

  @IsOptional()
  @IsCalendarDate()
  expiresOn?: string;
}

export class PartyDto implements Party {
  @IsTrimmedText(1, 300)
  name: string;

  @IsOptional()
  @Matches(COUNTRY_CODE, { message: 'must be an ISO 3166-1 alpha-2 country code' })
  country?: string;
}

export class GenuineGoodsDto implements GenuineGoods {
  @IsTrimmedText(1, 2000)
  description: string;

  @IsOptional()
  @Matches(HS_CODE, { message: 'must be an HS code: 4 to 10 digits, dots allowed between pairs (e.g. 4202.21)' })
  hsCode?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 300, { each: true })
  @IsStorableText({ each: true })
  authorisedImporters?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 300, { each: true })
  @IsStorableText({ each: true })
  authorisedExporters?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  @IsStorableText({ each: true })
  ports?: string[];

  @IsOptional()
  @IsTrimmedText(1, 4000)
  features?: string;
}

export class RepresentativeDto implements Representative {
  @IsTrimmedText(1, 300)
  name: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string;

  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{5,30}$/, { message: 'must be a phone number (digits, spaces, +, -, parentheses)' })
  phone?: string;
}

export class FieldRestrictionDto implements FieldRestriction {
  @IsIn(RESTRICTABLE_FIELDS, { message: `must be one of: ${RESTRICTABLE_FIELDS.join(', ')}` })
  field: RestrictableField;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(AUTHORITIES, { each: true, message: `each must be one of: ${AUTHORITIES.join(', ')}` })
  sharedWith: AuthorityCode[];
}

export class RecordationFieldsDto implements Partial<RecordationFields> {
  @IsOptional()
  @IsIn(['trademark'], { message: 'must be "trademark"' })
  ipType?: 'trademark';

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => MarkDto)
  mark?: MarkDto;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'must list at least one Nice class' })
  @ArrayMaxSize(45)
  @ArrayUnique({ message: 'must not repeat a Nice class' })
  @IsInt({ each: true, message: 'each Nice class must be an integer' })
  @Min(1, { each: true, message: 'each Nice class must be between 1 and 45' })
  @Max(45, { each: true, message: 'each Nice class must be between 1 and 45' })
  niceClasses?: number[];

  @IsOptional()
  @IsTrimmedText(1, 10000)
  goods?: string;

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => RightsHolderDto)
  rightsHolder?: RightsHolderDto;

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => TrademarkRegistrationDto)
  trademarkRegistration?: TrademarkRegistrationDto;

  @IsOptional()
  @IsCalendarDate()
  validFrom?: string;

  @IsOptional()
  @IsCalendarDate()
  validUntil?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  licensees?: PartyDto[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => GenuineGoodsDto)
  genuineGoods?: GenuineGoodsDto[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  knownInfringers?: PartyDto[];

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => RepresentativeDto)
  representative?: RepresentativeDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RESTRICTABLE_FIELDS.length)
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => FieldRestrictionDto)
  restrictions?: FieldRestrictionDto[];
}

/** A create request: the fields plus, optionally, the number the authority already assigned. */
export class CreateRecordationDto extends RecordationFieldsDto {
  @IsOptional()
  @IsTrimmedText(1, 40)
  recordationNumber?: string;
}

export class RenewalDto {
  @IsCalendarDate()
  validUntil: string;
}

export class ReasonDto {
  @IsTrimmedText(1, 2000)
  reason: string;
}

export class CancellationDto {
  @IsIn(CANCELLATION_REASONS, { message: `must be one of: ${CANCELLATION_REASONS.join(', ')}` })
  reason: CancellationReason;

  @IsOptional()
  @IsTrimmedText(1, 2000)
  note?: string;
}

/** The `data` of an event: full state, checked by the registry before anything is merged. */
export class RecordationStateDto extends RecordationFieldsDto {
  @IsTrimmedText(1, 40)
  recordationNumber: string;

  @IsIn(AUTHORITIES, { message: `must be one of: ${AUTHORITIES.join(', ')}` })
  authority: AuthorityCode;

  @IsIn(RECORDATION_STATUSES, { message: `must be one of: ${RECORDATION_STATUSES.join(', ')}` })
  status: RecordationStatus;

  @IsOptional()
  @IsTrimmedText(1, 2000)
  statusReason?: string;

  @IsInt()
  @Min(1)
  version: number;
}
