import type { MigrationInterface, QueryRunner } from 'typeorm';

/** On-chain batches (index, posting tx) and the disputes the verifier defends. */
export class Chain1763769600003 implements MigrationInterface {
  name = 'Chain1763769600003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batches" ADD COLUMN "chainIndex" integer`);
    await q.query(`ALTER TABLE "batches" ADD COLUMN "postTx" varchar(66)`);
    await q.query(`CREATE UNIQUE INDEX "idx_batches_chain_index" ON "batches" ("chainIndex")`);
    await q.query(`CREATE TABLE "disputes" (
      "disputeId" integer PRIMARY KEY NOT NULL,
      "claimId" varchar(66) NOT NULL REFERENCES "claims" ("claimId"),
      "challenger" varchar(42) NOT NULL,
      "status" varchar(16) NOT NULL,
      "challengerWon" boolean,
      "note" text,
      "openedAt" integer NOT NULL,
      "updatedAt" integer NOT NULL)`);
    await q.query(`CREATE INDEX "idx_disputes_status" ON "disputes" ("status")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "disputes"`);
    await q.query(`DROP INDEX "idx_batches_chain_index"`);
    await q.query(`ALTER TABLE "batches" DROP COLUMN "postTx"`);
    await q.query(`ALTER TABLE "batches" DROP COLUMN "chainIndex"`);
  }
}
