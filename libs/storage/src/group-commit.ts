import type { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './dialect';
import { inTransaction } from './serial';

/** Runs of a careful group that Postgres aborts as a deadlock or conflict before its error stands. */
const CONFLICT_ATTEMPTS = 5;

/** One caller's part of a group: its items and how its promise settles. */
interface Waiting<T, R> {
  readonly item: T;
  readonly weight: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: callers that write while a commit is under way wait together and share the next
 * transaction, so one fsync makes many callers' writes durable (sqlite commits one writer at a
 * time, and an fsync per commit is what bounds small writes).
 *
 * `write` gets the group's items in arrival order inside one transaction and returns, per item,
 * its result or the error that item alone failed with. It runs first with `careful` false (the
 * fast path: it may simply throw when an item fails); if it throws, the transaction is rolled
 * back and the group is written again with `careful` true, where `write` must undo a failing
 * item's writes itself (by savepoint) and report it. Each caller's promise settles only after the
 * transaction committed: a result means "on disk". When a careful write or its commit fails,
 * every caller of the group gets that error.
 */
export class GroupCommit<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private running = false;

  constructor(
    private readonly db: DataSource,
    private readonly write: (
      m: EntityManager,
      items: readonly T[],
      careful: boolean,
    ) => Promise<(R | GroupItemError)[]>,
    /** The most weight (e.g. rows) one transaction takes; a larger group waits for the next one. */
    private readonly maxWeight = 5000,
  ) {}

  /** Writes `item` in the next group; settles once that group is committed. */
  submit(item: T, weight = 1): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, weight, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        let weight = 0;
        let n = 0;
        while (n < this.queue.length && (n === 0 || weight + this.queue[n].weight <= this.maxWeight))
          weight += this.queue[n++].weight;
        const group = this.queue.splice(0, n);
        const items = group.map((w) => w.item);
        let results: (R | GroupItemError)[];
        const attempt = (careful: boolean) => inTransaction(this.db, (m) => this.write(m, items, careful));
        try {
          results = await attempt(false).catch(async () => {
            // Replicas' groups run at once on Postgres: one aborted to break a deadlock wrote
            // nothing, and is run again.
            for (let tries = 1; ; tries++)
              try {
                return await attempt(true);
              } catch (error) {
                if (!isTransientConflict(error) || tries >= CONFLICT_ATTEMPTS) throw error;
              }
          });
        } catch (error) {
          for (const w of group) w.reject(error);
          continue;
        }
        group.forEach((w, i) => {
          const r = results[i];
          if (r instanceof GroupItemError) w.reject(r.error);
          else w.resolve(r);
        });
      }
    } finally {
      this.running = false;
    }
  }
}

/** What `write` returns for an item that failed on its own (its writes undone); the rest commit. */
export class GroupItemError {
  constructor(readonly error: unknown) {}
}
