import type { DataSource } from 'typeorm';
import { ModelEntity } from './model.entity';
import { inTransaction, serially } from './serial';

export class ModelRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores a model once; returns false when this modelId was already registered. */
  register(modelId: string, name: string, bytes: Uint8Array, now: number): Promise<boolean> {
    // Under the DataSource lock (serial.ts): the check and the insert cannot interleave with
    // another registration.
    return inTransaction(this.db, async (m) => {
      if (await m.existsBy(ModelEntity, { modelId })) return false;
      await m.insert(ModelEntity, { modelId, name, bytes: Buffer.from(bytes), createdAt: now });
      return true;
    });
  }

  find(modelId: string): Promise<ModelEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(ModelEntity, { modelId }));
  }
}
