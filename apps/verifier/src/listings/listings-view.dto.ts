import { ApiProperty } from '@nestjs/swagger';
import { CLAIM_STATUSES } from '@verilay/protocol';

// The shapes of the listing routes' answers, for the OpenAPI document (libs/client's types are
// checked against it: apps/verifier/src/openapi-contract.spec.ts).

const HEX32 = '^0x[0-9a-fA-F]{64}$';

export class ClaimSummaryDto {
  @ApiProperty({ pattern: HEX32 }) claimId!: string;
  @ApiProperty({ pattern: HEX32 }) modelId!: string;
  @ApiProperty() operator!: string;
  @ApiProperty({ enum: CLAIM_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ type: Number, nullable: true }) batchId!: number | null;
  @ApiProperty() submittedAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ClaimListDto {
  @ApiProperty({ type: [ClaimSummaryDto], description: 'Newest first' }) claims!: ClaimSummaryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `before` for the next page; null on the last',
  })
  next!: string | null;
}

export class BatchSummaryDto {
  @ApiProperty() id!: number;
  @ApiProperty({ pattern: HEX32 }) root!: string;
  @ApiProperty() count!: number;
  @ApiProperty({ enum: ['open', 'closed'] }) status!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'null while an on-chain batch waits to be mined',
  })
  windowEndsAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) closedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) chainIndex!: number | null;
  @ApiProperty({ type: String, nullable: true }) postTx!: string | null;
}

export class BatchListDto {
  @ApiProperty({ description: "The verifier's clock (windows are counted on it)" }) now!: string;
  @ApiProperty({ type: [BatchSummaryDto], description: 'Newest first' }) batches!: BatchSummaryDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'Pass as `before` for the next page' })
  next!: number | null;
}

export class ModelListItemDto {
  @ApiProperty({ pattern: HEX32 }) modelId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Size of the canonical bytes' }) bytes!: number;
  @ApiProperty() createdAt!: string;
}

export class ModelListDto {
  @ApiProperty({ type: [ModelListItemDto], description: 'Newest first' }) models!: ModelListItemDto[];
}
