import type { DataSource } from 'typeorm';
import { inTransaction } from './serial';

/** Key/value settings a database is bound to for life. */
export class MetaRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores `value` under `key` the first time; afterwards returns what was stored first. */
  pin(key: string, value: string): Promise<string> {
    return inTransaction(this.db, async (m) => {
      const rows: { value: string }[] = await m.query(`SELECT "value" FROM "verifier_meta" WHERE "key" = ?`, [
        key,
      ]);
      if (rows.length) return rows[0].value;
      await m.query(`INSERT INTO "verifier_meta" ("key", "value") VALUES (?, ?)`, [key, value]);
      return value;
    });
  }
}
