import { Column, Entity, PrimaryColumn } from 'typeorm';

/** open: being played; conceded: the replay says the claim is false, so the verifier does not defend. */
export type DisputeStatus = 'open' | 'conceded' | 'resolved';

/** A dispute opened on chain against one of the verifier's claims. */
@Entity('disputes')
export class DisputeEntity {
  /** The claim contract's dispute id. */
  @PrimaryColumn({ type: 'integer' })
  disputeId!: number;

  @Column({ type: 'varchar', length: 66 })
  claimId!: string;

  @Column({ type: 'varchar', length: 42 })
  challenger!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: DisputeStatus;

  @Column({ type: 'boolean', nullable: true })
  challengerWon!: boolean | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ type: 'integer' })
  openedAt!: number;

  @Column({ type: 'integer' })
  updatedAt!: number;
}
