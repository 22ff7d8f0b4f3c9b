import type { DataSource } from 'typeorm';
import { rawQuery } from './dialect';
import { inTransaction, serially } from './serial';

export type WatchedBatchStatus = 'pending' | 'checked' | 'unavailable';
export type ClaimVerdict =
  | 'correct'
  | 'wrong'
  | 'skipped'
  | 'bad-data'
  | 'no-data'
  /** Its model is not registered on chain: not replayed. */
  | 'unregistered'
  /** Its replay ran past the watcher's budget and was abandoned: never disputed. */
  | 'too-costly';
/** What the chain made of a wrong posting in the end. */
export type PostingOutcome = 'slashed' | 'final' | 'validated';

/** A wrong claim as posted in one batch, pursued until the chain slashes it or makes it final. */
export interface WrongPosting {
  readonly batchIndex: number;
  readonly claimId: string;
  /** What the watcher needs to dispute it (JSON of its own making: claim, proof, task input). */
  readonly posting: string;
}
export type WatcherDisputeStatus = 'open' | 'won' | 'lost' | 'withdrawn';

export interface WatchedBatch {
  readonly batchIndex: number;
  readonly root: string;
  readonly blockNumber: number;
  readonly windowEnd: number;
  readonly status: WatchedBatchStatus;
}

export interface WatcherDispute {
  readonly disputeId: number;
  readonly claimId: string;
  readonly batchIndex: number;
  readonly blockNumber: number;
  readonly status: WatcherDisputeStatus;
  readonly openTx: string;
}

/** A batch as the watcher's page shows it: its status, why (if not checked) and its verdicts. */
export interface CheckedBatch extends WatchedBatch {
  readonly note: string | null;
  /** Verdicts recorded for its claims, by verdict. */
  readonly verdicts: Partial<Record<ClaimVerdict, number>>;
}

const SET_CURSOR = `INSERT INTO "watcher_meta" ("key", "value") VALUES ('cursor', ?) ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"`;
/**
 * A verdict replaces the row, as sqlite's INSERT OR REPLACE did: every column takes the new row's
 * value, null where the insert names none (a new verdict forgets an older posting and outcome).
 */
const REPLACE_CLAIM = `ON CONFLICT ("batchIndex", "claimId") DO UPDATE SET "verdict" = excluded."verdict", "note" = excluded."note", "posting" = excluded."posting", "outcome" = excluded."outcome"`;

/**
 * What a watcher has seen and done, so a restart resumes exactly: the chain cursor and the hashes
 * of processed blocks (to notice reorgs), the batches to check, verdicts, and its disputes.
 */
export class WatcherRepository {
  constructor(private readonly db: DataSource) {}

  async cursor(fallback: bigint): Promise<bigint> {
    const rows = await this.query<{ value: string }>(
      `SELECT "value" FROM "watcher_meta" WHERE "key" = 'cursor'`,
    );
    return rows.length ? BigInt(rows[0].value) : fallback;
  }

  /** Stores the events of a block range and moves the cursor past it, in one transaction. */
  commitRange(
    to: bigint,
    toHash: string,
    batches: readonly Omit<WatchedBatch, 'status'>[],
    resolved: readonly { disputeId: number; challengerWon: boolean }[],
    opened: readonly Omit<WatcherDispute, 'status'>[] = [],
  ): Promise<void> {
    return inTransaction(this.db, async (m) => {
      // Our own disputes as the chain records them: a crash between sending openDispute and
      // storing it must not leave a dispute nobody plays.
      for (const d of opened)
        await rawQuery(
          m,
          `INSERT INTO "watcher_disputes" ("disputeId", "claimId", "batchIndex", "blockNumber", "status", "openTx") VALUES (?, ?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING`,
          [d.disputeId, d.claimId, d.batchIndex, d.blockNumber, d.openTx],
        );
      for (const b of batches)
        await rawQuery(
          m,
          `INSERT INTO "watcher_batches" ("batchIndex", "root", "blockNumber", "windowEnd", "status") VALUES (?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING`,
          [b.batchIndex, b.root, b.blockNumber, b.windowEnd],
        );
      for (const r of resolved)
        await rawQuery(
          m,
          `UPDATE "watcher_disputes" SET "status" = ? WHERE "disputeId" = ? AND "status" = 'open'`,
          [r.challengerWon ? 'won' : 'lost', r.disputeId],
        );
      await rawQuery(
        m,
        `INSERT INTO "watcher_blocks" ("number", "hash") VALUES (?, ?) ON CONFLICT ("number") DO UPDATE SET "hash" = excluded."hash"`,
        [Number(to), toHash],
      );
      await rawQuery(m, `DELETE FROM "watcher_blocks" WHERE "number" < ?`, [Number(to) - 10_000]);
      await rawQuery(m, SET_CURSOR, [(to + 1n).toString()]);
    });
  }

  /** Processed blocks with their hashes, newest first (where reorgs are looked for). */
  recentBlocks(limit = 64): Promise<{ number: number; hash: string }[]> {
    return this.query(`SELECT "number", "hash" FROM "watcher_blocks" ORDER BY "number" DESC LIMIT ?`, [
      limit,
    ]);
  }

  /**
   * Forgets everything learned from blocks after `block` (a reorg replaced them): their batches,
   * verdicts and disputes, and rewinds the cursor so they are read again from the new chain.
   */
  rewind(block: number): Promise<void> {
    return inTransaction(this.db, async (m) => {
      await rawQuery(
        m,
        `DELETE FROM "watcher_claims" WHERE "batchIndex" IN (SELECT "batchIndex" FROM "watcher_batches" WHERE "blockNumber" > ?)`,
        [block],
      );
      await rawQuery(m, `DELETE FROM "watcher_batches" WHERE "blockNumber" > ?`, [block]);
      await rawQuery(m, `DELETE FROM "watcher_disputes" WHERE "blockNumber" > ?`, [block]);
      await rawQuery(m, `DELETE FROM "watcher_blocks" WHERE "number" > ?`, [block]);
      await rawQuery(m, SET_CURSOR, [String(block + 1)]);
    });
  }

  batchesToCheck(): Promise<WatchedBatch[]> {
    return this.query(`SELECT * FROM "watcher_batches" WHERE "status" = 'pending' ORDER BY "batchIndex"`);
  }

  /** Batches whose root is `root` (a batch of one claim has that claim's leaf as its root). */
  batchesWithRoot(root: string): Promise<WatchedBatch[]> {
    return this.query(
      `SELECT * FROM "watcher_batches" WHERE lower("root") = lower(?) ORDER BY "batchIndex"`,
      [root],
    );
  }

  async setBatchStatus(
    batchIndex: number,
    status: WatchedBatchStatus,
    note: string | null = null,
  ): Promise<void> {
    await this.query(`UPDATE "watcher_batches" SET "status" = ?, "note" = ? WHERE "batchIndex" = ?`, [
      status,
      note,
      batchIndex,
    ]);
  }

  async recordVerdict(
    batchIndex: number,
    claimId: string,
    verdict: ClaimVerdict,
    note: string | null = null,
  ) {
    await this.query(
      `INSERT INTO "watcher_claims" ("batchIndex", "claimId", "verdict", "note") VALUES (?, ?, ?, ?) ${REPLACE_CLAIM}`,
      [batchIndex, claimId, verdict, note],
    );
  }

  async verdict(batchIndex: number, claimId: string): Promise<ClaimVerdict | null> {
    const rows = await this.query<{ verdict: ClaimVerdict }>(
      `SELECT "verdict" FROM "watcher_claims" WHERE "batchIndex" = ? AND "claimId" = ?`,
      [batchIndex, claimId],
    );
    return rows.length ? rows[0].verdict : null;
  }

  /** Records a wrong claim of a batch, pending until `setOutcome`. */
  async recordWrong(batchIndex: number, claimId: string, posting: string, note: string | null = null) {
    await this.query(
      `INSERT INTO "watcher_claims" ("batchIndex", "claimId", "verdict", "note", "posting", "outcome") VALUES (?, ?, 'wrong', ?, ?, NULL) ${REPLACE_CLAIM}`,
      [batchIndex, claimId, note, posting],
    );
  }

  /** Wrong postings the chain has not settled yet (oldest batch first). */
  pendingWrong(): Promise<WrongPosting[]> {
    return this.query(
      `SELECT "batchIndex", "claimId", "posting" FROM "watcher_claims" WHERE "verdict" = 'wrong' AND "outcome" IS NULL AND "posting" IS NOT NULL ORDER BY "batchIndex"`,
    );
  }

  /** A wrong claim's stored posting data (any batch it was found in), or null. */
  async wrongPosting(claimId: string): Promise<string | null> {
    const rows = await this.query<{ posting: string }>(
      `SELECT "posting" FROM "watcher_claims" WHERE "claimId" = ? AND "posting" IS NOT NULL LIMIT 1`,
      [claimId],
    );
    return rows.length ? rows[0].posting : null;
  }

  async setOutcome(batchIndex: number, claimId: string, outcome: PostingOutcome): Promise<void> {
    await this.query(`UPDATE "watcher_claims" SET "outcome" = ? WHERE "batchIndex" = ? AND "claimId" = ?`, [
      outcome,
      batchIndex,
      claimId,
    ]);
  }

  async recordDispute(d: Omit<WatcherDispute, 'status'>): Promise<void> {
    await this.query(
      `INSERT INTO "watcher_disputes" ("disputeId", "claimId", "batchIndex", "blockNumber", "status", "openTx") VALUES (?, ?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING`,
      [d.disputeId, d.claimId, d.batchIndex, d.blockNumber, d.openTx],
    );
  }

  disputes(status?: WatcherDisputeStatus): Promise<WatcherDispute[]> {
    return status
      ? this.query(`SELECT * FROM "watcher_disputes" WHERE "status" = ? ORDER BY "disputeId"`, [status])
      : this.query(`SELECT * FROM "watcher_disputes" ORDER BY "disputeId"`);
  }

  async setDisputeStatus(disputeId: number, status: WatcherDisputeStatus, note: string | null = null) {
    await this.query(`UPDATE "watcher_disputes" SET "status" = ?, "note" = ? WHERE "disputeId" = ?`, [
      status,
      note,
      disputeId,
    ]);
  }

  /** Batches by status and claims by verdict, over everything the watcher has seen. */
  async counts(): Promise<{
    batches: Partial<Record<WatchedBatchStatus, number>>;
    verdicts: Partial<Record<ClaimVerdict, number>>;
    disputes: Partial<Record<WatcherDisputeStatus, number>>;
  }> {
    const tally = async (table: string, column: string) =>
      Object.fromEntries(
        (
          await this.query<{ key: string; n: number }>(
            `SELECT "${column}" AS "key", COUNT(*) AS "n" FROM "${table}" GROUP BY "${column}"`,
          )
        ).map((r) => [r.key, Number(r.n)]),
      );
    return {
      batches: await tally('watcher_batches', 'status'),
      verdicts: await tally('watcher_claims', 'verdict'),
      disputes: await tally('watcher_disputes', 'status'),
    };
  }

  /** The newest batches (by index) with their verdict counts. */
  async recentBatches(limit: number): Promise<CheckedBatch[]> {
    const batches = await this.query<WatchedBatch & { note: string | null }>(
      `SELECT * FROM "watcher_batches" ORDER BY "batchIndex" DESC LIMIT ?`,
      [limit],
    );
    if (!batches.length) return [];
    const rows = await this.query<{ batchIndex: number; verdict: ClaimVerdict; n: number }>(
      `SELECT "batchIndex", "verdict", COUNT(*) AS "n" FROM "watcher_claims" WHERE "batchIndex" >= ? GROUP BY "batchIndex", "verdict"`,
      [batches[batches.length - 1].batchIndex],
    );
    return batches.map((b) => ({
      ...b,
      verdicts: Object.fromEntries(
        rows.filter((r) => r.batchIndex === b.batchIndex).map((r) => [r.verdict, Number(r.n)]),
      ),
    }));
  }

  /** The newest disputes (by id) with their note (a withdrawn one's outcome before it). */
  recentDisputes(limit: number): Promise<(WatcherDispute & { note: string | null })[]> {
    return this.query(`SELECT * FROM "watcher_disputes" ORDER BY "disputeId" DESC LIMIT ?`, [limit]);
  }

  private query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return serially(this.db, () => rawQuery<T>(this.db, sql, params));
  }
}
