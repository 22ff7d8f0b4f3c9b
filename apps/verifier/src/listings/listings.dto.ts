import { ApiPropertyOptional } from '@nestjs/swagger';
import { CLAIM_STATUSES, type ClaimStatus } from '@verilay/protocol';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

class PageDto {
  @ApiPropertyOptional({ description: 'Page size, 1 … 500 (default 50)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ClaimListQueryDto extends PageDto {
  @ApiPropertyOptional({ enum: CLAIM_STATUSES })
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;

  @ApiPropertyOptional({ pattern: '^0x[0-9a-fA-F]{40}$' })
  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: '$property must be a 0x-hex address' })
  operator?: string;

  @ApiPropertyOptional({ pattern: '^0x[0-9a-fA-F]{64}$' })
  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{64}$/, { message: '$property must be 32 bytes of 0x-hex' })
  modelId?: string;

  @ApiPropertyOptional({ description: 'The previous page’s `next` cursor' })
  @IsOptional()
  @Matches(/^\d{1,15}_0x[0-9a-f]{64}$/, { message: '$property must be a cursor from a previous page' })
  before?: string;
}

export class BatchListQueryDto extends PageDto {
  @ApiPropertyOptional({ description: 'Batches with a smaller id (the previous page’s `next`)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;
}
