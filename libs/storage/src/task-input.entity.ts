import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The data a watcher needs to replay a claim. Kept apart from claims: large, and prunable later. */
@Entity('task_inputs')
export class TaskInputEntity {
  @PrimaryColumn({ type: 'varchar', length: 66 })
  claimId!: string;

  /** JSON array of the input values. */
  @Column({ type: 'text' })
  data!: string;

  @Column({ type: 'varchar', length: 66, nullable: true })
  salt!: string | null;
}
