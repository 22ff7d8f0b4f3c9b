import type { DataSource } from 'typeorm';
import { ModelEntity } from './model.entity';
import { isUniqueViolation } from './dialect';
import { inTransaction, serially } from './serial';

export class ModelRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores a model once; returns false when this modelId was already registered. */
  register(modelId: string, name: string, bytes: Uint8Array, now: number): Promise<boolean> {
    // On sqlite the check and the insert run under the DataSource lock (serial.ts); on Postgres a
    // concurrent registration of the same model may pass the check, and its insert is refused.
    return inTransaction(this.db, async (m) => {
      if (await m.existsBy(ModelEntity, { modelId })) return false;
      await m.insert(ModelEntity, { modelId, name, bytes: Buffer.from(bytes), createdAt: now });
      return true;
    }).catch((e: unknown) => {
      if (isUniqueViolation(e)) return false;
      throw e;
    });
  }

  find(modelId: string): Promise<ModelEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(ModelEntity, { modelId }));
  }
}
