import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES } from '@verilay/storage';

// The shapes of the webhook routes' answers, for the OpenAPI document (libs/client's types are
// checked against it: apps/verifier/src/openapi-contract.spec.ts).

export class DeliveryCountsDto {
  @ApiProperty() pending!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty() failed!: number;
}

export class WebhookViewDto {
  @ApiProperty() id!: number;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, nullable: true, description: 'null: every type' })
  types!: string[] | null;
  @ApiProperty({ type: String, nullable: true }) operator!: string | null;
  @ApiProperty({ type: String, nullable: true }) modelId!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: DeliveryCountsDto, description: 'Not in the creation answer' })
  deliveries?: DeliveryCountsDto;
}

export class CreatedWebhookDto extends WebhookViewDto {
  @ApiProperty({ description: 'The signing secret (whsec_…), shown this once' }) secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookViewDto] }) webhooks!: WebhookViewDto[];
}

export class DeliveryViewDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'The event id (the webhook-id header)' }) eventId!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) lastStatusCode!: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true }) deliveredAt!: string | null;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryViewDto], description: 'Newest first' }) deliveries!: DeliveryViewDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'Pass as `before` for the next page' })
  next!: number | null;
}
