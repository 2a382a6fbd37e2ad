import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { AUTHORITIES, RECORDATION_STATUSES, type AuthorityCode, type RecordationStatus } from '#contracts';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value);

/** `GET /api/marks/search`; unknown parameters are refused (400). */
export class SearchQuery {
  @IsString()
  @Length(1, 200, { message: 'must be between 1 and 200 characters' })
  q: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a Nice class number' })
  @Min(1)
  @Max(45)
  niceClass?: number;

  @IsOptional()
  @IsIn(AUTHORITIES as unknown as string[], { message: `must be one of: ${AUTHORITIES.join(', ')}` })
  authority?: AuthorityCode;

  @IsOptional()
  @IsIn(RECORDATION_STATUSES as unknown as string[], { message: `must be one of: ${RECORDATION_STATUSES.join(', ')}` })
  status?: RecordationStatus;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  holder?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @Length(1, 20)
  cursor?: string;
}

/** `GET /api/check`: the border question. */
export class CheckQuery {
  @IsString()
  @Length(1, 200, { message: 'must be between 1 and 200 characters' })
  mark: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a Nice class number' })
  @Min(1)
  @Max(45)
  niceClass?: number;
}

export class AliasDto {
  @IsString()
  @Length(1, 200)
  from: string;

  @IsString()
  @Length(1, 200)
  to: string;
}

/** `asOf=<ISO timestamp>`: the registry as it stood at that moment, from the event store. */
export class AsOfQuery {
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 timestamp' })
  asOf?: string;
}
