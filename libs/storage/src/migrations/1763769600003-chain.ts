import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/** On-chain batches (index, posting tx) and the disputes the verifier defends. */
export class Chain1763769600003 implements MigrationInterface {
  name = 'Chain1763769600003';

  async up(q: QueryRunner): Promise<void> {
    await ddl(q, `ALTER TABLE "batches" ADD COLUMN "chainIndex" integer`);
    await ddl(q, `ALTER TABLE "batches" ADD COLUMN "postTx" varchar(66)`);
    await ddl(q, `CREATE UNIQUE INDEX "idx_batches_chain_index" ON "batches" ("chainIndex")`);
    await ddl(
      q,
      `CREATE TABLE "disputes" (
      "disputeId" integer PRIMARY KEY NOT NULL,
      "claimId" varchar(66) NOT NULL REFERENCES "claims" ("claimId"),
      "challenger" varchar(42) NOT NULL,
      "status" varchar(16) NOT NULL,
      "challengerWon" boolean,
      "note" text,
      "openedAt" integer NOT NULL,
      "updatedAt" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_disputes_status" ON "disputes" ("status")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `DROP TABLE "disputes"`);
    await ddl(q, `DROP INDEX "idx_batches_chain_index"`);
    await ddl(q, `ALTER TABLE "batches" DROP COLUMN "postTx"`);
    await ddl(q, `ALTER TABLE "batches" DROP COLUMN "chainIndex"`);
  }
}
