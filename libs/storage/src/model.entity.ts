import { Column, Entity, EntitySchema, PrimaryColumn } from 'typeorm';

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

/**
 * ModelEntity on Postgres: the same class and table, its bytes as `bytea`. typeorm checks a
 * column's type against the driver when the DataSource starts, and no binary type is known to
 * both drivers (sqlite: blob, Postgres: bytea), so Postgres maps the class through this schema.
 */
export const MODEL_ENTITY_POSTGRES = new EntitySchema<ModelEntity>({
  name: ModelEntity.name,
  target: ModelEntity,
  tableName: 'models',
  columns: {
    modelId: { type: 'varchar', length: 66, primary: true },
    name: { type: 'varchar', length: 200 },
    bytes: { type: 'bytea' },
    createdAt: { type: 'integer' },
  },
});
