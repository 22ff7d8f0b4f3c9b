import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type BatchStatus = 'open' | 'closed';

@Entity('batches')
@Index('idx_batches_status_window', ['status', 'windowEndsAt'])
export class BatchEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 66 })
  root!: string;

  @Column({ type: 'integer' })
  count!: number;

  @Column({ type: 'integer' })
  createdAt!: number;

  /** The challenge window's deadline (unix ms). Lives here so it survives restarts. */
  @Column({ type: 'integer' })
  windowEndsAt!: number;

  @Column({ type: 'varchar', length: 8 })
  status!: BatchStatus;

  @Column({ type: 'integer', nullable: true })
  closedAt!: number | null;

  /** The batch's index in the claim contract once posted on chain (null off chain or not yet). */
  @Column({ type: 'integer', nullable: true })
  chainIndex!: number | null;

  @Column({ type: 'varchar', length: 66, nullable: true })
  postTx!: string | null;
}
