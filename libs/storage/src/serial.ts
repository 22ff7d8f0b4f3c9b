import type { DataSource, EntityManager } from 'typeorm';
import { dialectOf } from './dialect';

/**
 * typeorm's sqlite driver shares one connection between all query runners, so two transactions
 * started concurrently interleave their BEGIN/COMMIT ("Transaction is not started yet") and a
 * read can see another caller's uncommitted writes. On sqlite every repository call therefore runs
 * through one FIFO lock per DataSource: sqlite serialises writers anyway, so this costs no
 * parallelism. Postgres has a pool of connections and real transactions: calls run at once there,
 * and the rules that need writers in line take an advisory lock instead (dialect.ts, LOCKS).
 */
const tails = new WeakMap<DataSource, Promise<unknown>>();

export function serially<T>(db: DataSource, work: () => Promise<T>): Promise<T> {
  if (dialectOf(db) === 'postgres') return work();
  const previous = tails.get(db) ?? Promise.resolve();
  const result = previous.then(work, work);
  tails.set(
    db,
    result.catch(() => undefined),
  );
  return result;
}

/** A transaction (on sqlite, under the DataSource's lock). */
export function inTransaction<T>(db: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  return serially(db, () => db.transaction(work));
}
