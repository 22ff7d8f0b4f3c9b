import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES, type EventType } from '@verilay/storage';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class CreateWebhookDto {
  @ApiProperty({
    description:
      'Where deliveries are POSTed (http or https). Private, loopback and link-local addresses are refused unless VERIFIER_WEBHOOK_ALLOW_PRIVATE=true',
    example: 'https://integrator.example/verilay',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({
    description: 'Event types to receive (default: all)',
    enum: EVENT_TYPES,
    isArray: true,
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  types?: EventType[];

  @ApiPropertyOptional({ description: "Only this operator's claims", pattern: '^0x[0-9a-fA-F]{40}$' })
  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: '$property must be a 0x-hex address' })
  operator?: string;

  @ApiPropertyOptional({ description: "Only this model's claims", pattern: '^0x[0-9a-fA-F]{64}$' })
  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{64}$/, { message: '$property must be 32 bytes of 0x-hex' })
  modelId?: string;
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';

  @ApiPropertyOptional({ description: 'Deliveries with a smaller id (the previous page’s `next`)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  @ApiPropertyOptional({ description: 'Page size, 1 … 500 (default 100)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
