import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsTimestamp, RECORDATION_STATUSES, type RecordationStatus } from '#contracts';

/** Query of `GET /recordations`; unknown parameters are refused like unknown body fields. */
export class ListRecordationsQuery {
  @IsOptional()
  @IsIn(RECORDATION_STATUSES, { message: `must be one of: ${RECORDATION_STATUSES.join(', ')}` })
  status?: RecordationStatus;

  @IsOptional()
  @IsTimestamp({ message: 'must be an ISO 8601 date or timestamp' })
  updatedSince?: string;

  @IsOptional()
  @IsString()
  @Length(1, 300)
  cursor?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(1000)
  limit?: number;
}
