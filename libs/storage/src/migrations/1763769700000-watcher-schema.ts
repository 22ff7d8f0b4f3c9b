import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/** The watcher's own database: chain cursor, processed block hashes, batches, verdicts, disputes. */
export class WatcherSchema1763769700000 implements MigrationInterface {
  name = 'WatcherSchema1763769700000';

  async up(q: QueryRunner): Promise<void> {
    await ddl(
      q,
      `CREATE TABLE "watcher_meta" ("key" varchar(64) PRIMARY KEY NOT NULL, "value" text NOT NULL)`,
    );
    await ddl(
      q,
      `CREATE TABLE "watcher_blocks" ("number" integer PRIMARY KEY NOT NULL, "hash" varchar(66) NOT NULL)`,
    );
    await ddl(
      q,
      `CREATE TABLE "watcher_batches" (
      "batchIndex" integer PRIMARY KEY NOT NULL,
      "root" varchar(66) NOT NULL,
      "blockNumber" integer NOT NULL,
      "windowEnd" integer NOT NULL,
      "status" varchar(16) NOT NULL,
      "note" text)`,
    );
    await ddl(
      q,
      `CREATE TABLE "watcher_claims" (
      "batchIndex" integer NOT NULL,
      "claimId" varchar(66) NOT NULL,
      "verdict" varchar(16) NOT NULL,
      "note" text,
      PRIMARY KEY ("batchIndex", "claimId"))`,
    );
    await ddl(
      q,
      `CREATE TABLE "watcher_disputes" (
      "disputeId" integer PRIMARY KEY NOT NULL,
      "claimId" varchar(66) NOT NULL,
      "batchIndex" integer NOT NULL,
      "blockNumber" integer NOT NULL,
      "status" varchar(16) NOT NULL,
      "openTx" varchar(66) NOT NULL,
      "note" text)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'watcher_disputes',
      'watcher_claims',
      'watcher_batches',
      'watcher_blocks',
      'watcher_meta',
    ])
      await ddl(q, `DROP TABLE "${t}"`);
  }
}
