import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { AUTHORITIES, IsTimestamp, RECORDATION_STATUSES, type AuthorityCode, type RecordationStatus } from '#contracts';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value);

/** An optional Nice class filter (1–45) from a query string: every lookup validates it the same way. */
const NiceClassFilter = (example: number) =>
  applyDecorators(
    ApiPropertyOptional({ description: 'Only recordations covering this Nice class', minimum: 1, maximum: 45, example }),
    IsOptional(),
    Transform(toInt),
    IsInt({ message: 'must be a Nice class number' }),
    Min(1),
    Max(45),
  );

/** `GET /api/marks/search`; unknown parameters are refused (400). */
export class SearchQuery {
  @ApiProperty({ description: 'Mark text in any script, a recordation number or a trademark registration number', example: '愛馬仕' })
  @IsString()
  @Length(1, 200, { message: 'must be between 1 and 200 characters' })
  q: string;

  @NiceClassFilter(18)
  niceClass?: number;

  @ApiPropertyOptional({ enum: AUTHORITIES })
  @IsOptional()
  @IsIn(AUTHORITIES, { message: `must be one of: ${AUTHORITIES.join(', ')}` })
  authority?: AuthorityCode;

  @ApiPropertyOptional({ enum: RECORDATION_STATUSES })
  @IsOptional()
  @IsIn(RECORDATION_STATUSES, { message: `must be one of: ${RECORDATION_STATUSES.join(', ')}` })
  status?: RecordationStatus;

  @ApiPropertyOptional({ description: "Rights holder's name in either script", example: 'Hermès' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  holder?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Search the registry as it stood at this time (from the event store)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp({ message: 'must be an ISO 8601 timestamp' })
  asOf?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 20)
  cursor?: string;
}

/** `GET /api/check`: the border question. */
export class CheckQuery {
  @ApiProperty({ description: 'The mark as read on the goods, in any script', example: 'HERMES' })
  @IsString()
  @Length(1, 200, { message: 'must be between 1 and 200 characters' })
  mark: string;

  @NiceClassFilter(18)
  niceClass?: number;
}

export class AliasDto {
  @ApiProperty({ example: '耐吉' })
  @IsString()
  @Length(1, 200)
  from: string;

  @ApiProperty({ example: '耐克' })
  @IsString()
  @Length(1, 200)
  to: string;
}

/** `asOf=<ISO timestamp>`: the registry as it stood at that moment, from the event store. */
export class AsOfQuery {
  @ApiPropertyOptional({ description: 'The registry as it stood at this time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp({ message: 'must be an ISO 8601 timestamp' })
  asOf?: string;
}

/** `POST /api/marks/search-by-image`: the picture is the body (raw or multipart field `image`). */
export class ImageSearchQuery {
  @NiceClassFilter(25)
  niceClass?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 20)
  cursor?: string;
}
