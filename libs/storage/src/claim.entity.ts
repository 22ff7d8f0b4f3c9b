import type { ClaimStatus } from '@verilay/protocol';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('claims')
@Index('idx_claims_status_submitted', ['status', 'submittedAt'])
@Index('idx_claims_batch', ['batchId'])
export class ClaimEntity {
  /** The claim leaf: keccak256(abi.encode(fields)). */
  @PrimaryColumn({ type: 'varchar', length: 66 })
  claimId!: string;

  @Column({ type: 'varchar', length: 66 })
  modelId!: string;

  @Column({ type: 'varchar', length: 66 })
  taskId!: string;

  @Column({ type: 'varchar', length: 42 })
  operator!: string;

  @Column({ type: 'varchar', length: 66 })
  inputCommitment!: string;

  @Column({ type: 'varchar', length: 66 })
  outputCommitment!: string;

  @Column({ type: 'varchar', length: 66 })
  traceRoot!: string;

  @Column({ type: 'varchar', length: 132 })
  signature!: string;

  /** JSON array of the claimed output values, when the operator sent them. */
  @Column({ type: 'text', nullable: true })
  output!: string | null;

  /** JSON `{ promptLength, completionLength }` of a generation claim, else null. */
  @Column({ type: 'text', nullable: true })
  generation!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: ClaimStatus;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'integer', nullable: true })
  batchId!: number | null;

  @Column({ type: 'integer' })
  submittedAt!: number;

  @Column({ type: 'integer' })
  updatedAt!: number;
}
