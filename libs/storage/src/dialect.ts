import type { DataSource, EntityManager } from 'typeorm';

/**
 * What differs between the two databases the repositories run on: sqlite (one file, one shared
 * connection, the embedded default) and Postgres (a pool of connections, replicas share it).
 */
export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(db: DataSource | EntityManager): Dialect {
  const options = 'options' in db ? db.options : db.connection.options;
  return options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/** A location that is a Postgres URL (anything else is a sqlite file path). */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/**
 * Raw SQL is written with `?` placeholders (sqlite's); Postgres numbers them (`$1`, `$2`, …).
 * The repositories' statements carry no `?` inside string literals, so a plain rewrite is exact.
 */
export function placeholders(dialect: Dialect, sql: string): string {
  if (dialect === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Runs raw SQL written for sqlite's placeholders on either database. */
export function rawQuery<T>(
  db: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return db.query(placeholders(dialectOf(db), sql), params);
}

/** A unique or primary-key violation (not a foreign-key, NOT NULL or CHECK failure), either database. */
export function isUniqueViolation(e: unknown): boolean {
  const error = e as { code?: string; message?: string } | undefined;
  return error?.code === '23505' || /UNIQUE constraint failed/.test(String(error?.message));
}

/**
 * A transaction Postgres aborted to break a deadlock or a serialization conflict with another
 * one: nothing of it was written, and running it again is the documented answer.
 */
export function isTransientConflict(e: unknown): boolean {
  const error = e as { code?: string; driverError?: { code?: string } } | undefined;
  return [error?.code, error?.driverError?.code].some((c) => c === '40P01' || c === '40001');
}

/**
 * Transaction-scoped advisory locks (Postgres), one key per rule that needs writers in line.
 * sqlite needs none: it has one writer at a time, and serial.ts runs one transaction at a time.
 */
export const LOCKS = {
  /**
   * INVARIANT: every transaction that writes outbox events holds this lock from before its first
   * event insert until it commits, so event ids (from a sequence) commit in id order and a reader
   * that follows `id > cursor` never passes an id that commits later (docs/scale-out.md).
   */
  outbox: 7_263_100_001,
  /** Webhook subscriptions: the active count and the insert of a new one (the limit holds). */
  subscriptions: 7_263_100_002,
  /** Proof requests: one open job per claim and the queue bound. */
  proofRequests: 7_263_100_003,
  /** Webhook fan-out: subscriptions' cursors and the deliveries they owe. */
  fanOut: 7_263_100_004,
  /** Migrations (a session lock, open-data-source.ts): replicas starting together migrate in turn. */
  migrations: 7_263_100_005,
} as const;

const held = new WeakMap<object, Set<number>>();

/** Takes `key` until the end of the transaction `m` belongs to (Postgres; nothing on sqlite). */
export async function lockUntilCommit(m: EntityManager, key: number): Promise<void> {
  if (dialectOf(m) !== 'postgres') return;
  const runner = m.queryRunner;
  if (!runner?.isTransactionActive) throw new Error('lockUntilCommit needs a transaction');
  const keys = held.get(runner) ?? new Set<number>();
  // Postgres gives each transaction a query runner of its own, so the set dies with it.
  if (keys.has(key)) return;
  await m.query('SELECT pg_advisory_xact_lock($1)', [key]);
  keys.add(key);
  held.set(runner, keys);
}
