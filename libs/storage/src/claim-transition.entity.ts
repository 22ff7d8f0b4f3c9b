import type { ClaimStatus } from '@verilay/protocol';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only history of a claim's statuses: what GET /v1/claims/:id shows as timestamps. */
@Entity('claim_transitions')
@Index('idx_transitions_claim', ['claimId'])
export class ClaimTransitionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 66 })
  claimId!: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  fromStatus!: ClaimStatus | null;

  @Column({ type: 'varchar', length: 16 })
  toStatus!: ClaimStatus;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'integer' })
  at!: number;
}
