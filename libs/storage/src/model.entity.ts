import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('models')
export class ModelEntity {
  /** keccak256 of the canonical bytes. */
  @PrimaryColumn({ type: 'varchar', length: 66 })
  modelId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Canonical model bytes (docs/model-format.md); the source of truth, decoded on load. */
  @Column({ type: 'blob' })
  bytes!: Buffer;

  @Column({ type: 'integer' })
  createdAt!: number;
}
