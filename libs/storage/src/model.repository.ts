import type { DataSource } from 'typeorm';
import { ModelEntity } from './model.entity';

export class ModelRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores a model once; returns false when this modelId was already registered. */
  register(modelId: string, name: string, bytes: Uint8Array, now: number): Promise<boolean> {
    // typeorm's sqlite driver runs transactions one at a time on its single connection, so the
    // check and the insert cannot interleave with another registration.
    return this.db.transaction(async (m) => {
      if (await m.existsBy(ModelEntity, { modelId })) return false;
      await m.insert(ModelEntity, { modelId, name, bytes: Buffer.from(bytes), createdAt: now });
      return true;
    });
  }

  find(modelId: string): Promise<ModelEntity | null> {
    return this.db.manager.findOneBy(ModelEntity, { modelId });
  }
}
