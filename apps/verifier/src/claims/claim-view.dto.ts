import { ApiProperty } from '@nestjs/swagger';
import { CLAIM_STATUSES } from '@verilay/protocol';
import { GenerationDto } from './claim-submission.dto';

// The shapes of the claims routes' answers, for the OpenAPI document (libs/client's types are
// checked against it: apps/verifier/src/openapi-contract.spec.ts).

const HEX32 = '^0x[0-9a-fA-F]{64}$';

export class SubmittedClaimDto {
  @ApiProperty({ description: 'The claim leaf', pattern: HEX32 })
  claimId!: string;

  @ApiProperty({ enum: ['submitted'] })
  status!: 'submitted';
}

export class SubmitClaimsResultDto {
  @ApiProperty({ type: [SubmittedClaimDto], description: 'In request order' })
  claims!: SubmittedClaimDto[];
}

export class ClaimBatchDto {
  @ApiProperty() id!: number;
  @ApiProperty({ pattern: HEX32 }) root!: string;
  @ApiProperty() count!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'null while an on-chain batch waits to be mined',
  })
  windowEndsAt!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Index in the claim contract (null off chain or not posted yet)',
  })
  chainIndex!: number | null;

  @ApiProperty({ type: String, nullable: true }) postTx!: string | null;
}

export class ClaimTransitionDto {
  @ApiProperty({ enum: CLAIM_STATUSES, nullable: true }) from!: string | null;
  @ApiProperty({ enum: CLAIM_STATUSES }) to!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
}

export class ClaimViewDto {
  @ApiProperty({ pattern: HEX32 }) claimId!: string;
  @ApiProperty({ pattern: HEX32 }) modelId!: string;
  @ApiProperty({ pattern: HEX32 }) taskId!: string;
  @ApiProperty() operator!: string;
  @ApiProperty({ pattern: HEX32 }) inputCommitment!: string;
  @ApiProperty({ pattern: HEX32 }) outputCommitment!: string;
  @ApiProperty({ pattern: HEX32 }) traceRoot!: string;
  @ApiProperty({ type: [Number], nullable: true }) output!: number[] | null;
  @ApiProperty({ type: GenerationDto, nullable: true }) generation!: GenerationDto | null;
  @ApiProperty({ enum: CLAIM_STATUSES }) status!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Why it is held, challenged or slashed' })
  reason!: string | null;

  @ApiProperty({ type: ClaimBatchDto, nullable: true }) batch!: ClaimBatchDto | null;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(CLAIM_STATUSES.map((s) => [s, { type: 'string', format: 'date-time' }])),
    description: 'The latest time it entered each status',
  })
  timestamps!: Record<string, string>;

  @ApiProperty({ type: [ClaimTransitionDto] }) history!: ClaimTransitionDto[];
}
