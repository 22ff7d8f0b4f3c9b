import { DataSource, type DataSourceOptions } from 'typeorm';
import { LOCKS } from './dialect';

/**
 * Opens a DataSource and brings its schema up to date. On Postgres, replicas may start together
 * against one database, and typeorm's migration runner takes no lock: each would see the same
 * pending migrations and all but one fail on a table that exists. Here the migrations run under a
 * session advisory lock, one replica after another (the later ones find nothing pending).
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type !== 'postgres' || !options.migrationsRun) return new DataSource(options).initialize();
  const db = await new DataSource({ ...options, migrationsRun: false }).initialize();
  try {
    const session = db.createQueryRunner();
    try {
      await session.query('SELECT pg_advisory_lock($1)', [LOCKS.migrations]);
      try {
        await db.runMigrations({ transaction: options.migrationsTransactionMode ?? 'each' });
      } finally {
        await session.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrations]);
      }
    } finally {
      await session.release();
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
