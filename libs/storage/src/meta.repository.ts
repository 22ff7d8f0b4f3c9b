import type { DataSource } from 'typeorm';
import { rawQuery } from './dialect';
import { inTransaction } from './serial';

/** Key/value settings a database is bound to for life. */
export class MetaRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores `value` under `key` the first time; afterwards returns what was stored first. */
  pin(key: string, value: string): Promise<string> {
    return inTransaction(this.db, async (m) => {
      // The first writer wins, also against a concurrent pin on Postgres (sqlite runs one at a time).
      await rawQuery(m, `INSERT INTO "verifier_meta" ("key", "value") VALUES (?, ?) ON CONFLICT DO NOTHING`, [
        key,
        value,
      ]);
      const rows = await rawQuery<{ value: string }>(
        m,
        `SELECT "value" FROM "verifier_meta" WHERE "key" = ?`,
        [key],
      );
      return rows[0].value;
    });
  }

  get(key: string): Promise<string | null> {
    return inTransaction(this.db, async (m) => {
      const rows = await rawQuery<{ value: string }>(
        m,
        `SELECT "value" FROM "verifier_meta" WHERE "key" = ?`,
        [key],
      );
      return rows.length ? rows[0].value : null;
    });
  }

  /** Stores (or replaces) a mutable setting, such as an event cursor. */
  set(key: string, value: string): Promise<void> {
    return inTransaction(this.db, async (m) => {
      await rawQuery(
        m,
        `INSERT INTO "verifier_meta" ("key", "value") VALUES (?, ?) ON CONFLICT("key") DO UPDATE SET "value" = excluded."value"`,
        [key, value],
      );
    });
  }
}
