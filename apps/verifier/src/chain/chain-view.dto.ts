import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// The shapes of the chain routes' answers, for the OpenAPI document (libs/client's types are
// checked against it: apps/verifier/src/openapi-contract.spec.ts).

export class ClaimDomainDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty() chainId!: number;
  @ApiProperty() verifyingContract!: string;
}

export class ChainViewDto {
  @ApiProperty() chainId!: number;
  @ApiPropertyOptional({ description: 'Only for the embedded development chain' }) rpcUrl?: string;
  @ApiProperty({ description: 'The claim contract' }) claims!: string;
  @ApiProperty({ description: 'The model registry' }) registry!: string;
  @ApiProperty({ description: 'Block the contracts were deployed at (decimal)' }) deployBlock!: string;
  @ApiProperty({ description: 'The address that posts batches' }) sequencer!: string;

  @ApiProperty({ type: ClaimDomainDto, description: 'The EIP-712 domain operators sign claims for' })
  domain!: ClaimDomainDto;
}

export class BatchClaimDto {
  @ApiProperty() claimId!: string;
  @ApiProperty() modelId!: string;
  @ApiProperty() taskId!: string;
  @ApiProperty() inputCommitment!: string;
  @ApiProperty() outputCommitment!: string;
  @ApiProperty() traceRoot!: string;
  @ApiProperty() operator!: string;
  @ApiProperty() signature!: string;
}

export class BatchViewDto {
  @ApiProperty() chainIndex!: number;
  @ApiProperty() root!: string;
  @ApiProperty() count!: number;
  @ApiProperty({ type: String, nullable: true }) postTx!: string | null;
  @ApiProperty({ type: [BatchClaimDto] }) claims!: BatchClaimDto[];
}
