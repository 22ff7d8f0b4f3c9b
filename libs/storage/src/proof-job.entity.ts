import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ProofJobStatus = 'queued' | 'proving' | 'proven' | 'failed';
/** claim-true: the proof shows the claimed output. claim-false: the model gives another output. */
export type ProofVerdict = 'claim-true' | 'claim-false';

/** A request for a Groth16 validity proof of a claim's inference; durable so restarts resume it. */
@Entity('proof_jobs')
@Index('idx_proof_jobs_status', ['status', 'id'])
@Index('idx_proof_jobs_claim', ['claimId'])
export class ProofJobEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 66 })
  claimId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ProofJobStatus;

  @Column({ type: 'varchar', length: 16, nullable: true })
  verdict!: ProofVerdict | null;

  /** JSON of the proof (proof, public signals, commitments, output). */
  @Column({ type: 'text', nullable: true })
  result!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'integer' })
  createdAt!: number;

  @Column({ type: 'integer' })
  updatedAt!: number;
}
