import { ApiProperty } from '@nestjs/swagger';

/** The proof of a proven job (libs/zk's InferenceProof). */
export class InferenceProofDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'snarkjs Groth16 proof' })
  proof!: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'The input and output commitments as decimal field elements' })
  publicSignals!: string[];

  @ApiProperty() inputCommitment!: string;
  @ApiProperty() outputCommitment!: string;
  @ApiProperty({ type: [Number] }) output!: number[];
}

/** A proof job (`POST /v1/proofs`, `GET /v1/proofs/:proofId`), for the OpenAPI document. */
export class ProofViewDto {
  @ApiProperty() proofId!: number;
  @ApiProperty() claimId!: string;
  @ApiProperty({ enum: ['queued', 'proving', 'proven', 'failed'] }) status!: string;

  @ApiProperty({
    enum: ['claim-true', 'claim-false'],
    nullable: true,
    description: 'claim-true: the proof shows the claimed output; claim-false: the model gives another',
  })
  verdict!: string | null;

  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: InferenceProofDto, nullable: true }) proof!: InferenceProofDto | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
