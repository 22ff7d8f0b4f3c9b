import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await ddl(
      q,
      `CREATE TABLE "models" (
      "modelId" varchar(66) PRIMARY KEY NOT NULL,
      "name" varchar(200) NOT NULL,
      "bytes" blob NOT NULL,
      "createdAt" integer NOT NULL)`,
    );
    // Before claims, which reference it (Postgres checks the reference when the table is made).
    await ddl(
      q,
      `CREATE TABLE "batches" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "root" varchar(66) NOT NULL,
      "count" integer NOT NULL,
      "createdAt" integer NOT NULL,
      "windowEndsAt" integer NOT NULL,
      "status" varchar(8) NOT NULL,
      "closedAt" integer)`,
    );
    await ddl(q, `CREATE INDEX "idx_batches_status_window" ON "batches" ("status", "windowEndsAt")`);
    await ddl(
      q,
      `CREATE TABLE "claims" (
      "claimId" varchar(66) PRIMARY KEY NOT NULL,
      "modelId" varchar(66) NOT NULL REFERENCES "models" ("modelId"),
      "taskId" varchar(66) NOT NULL,
      "operator" varchar(42) NOT NULL,
      "inputCommitment" varchar(66) NOT NULL,
      "outputCommitment" varchar(66) NOT NULL,
      "traceRoot" varchar(66) NOT NULL,
      "signature" varchar(132) NOT NULL,
      "output" text,
      "status" varchar(16) NOT NULL,
      "reason" text,
      "batchId" integer REFERENCES "batches" ("id"),
      "submittedAt" integer NOT NULL,
      "updatedAt" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_claims_status_submitted" ON "claims" ("status", "submittedAt")`);
    await ddl(q, `CREATE INDEX "idx_claims_batch" ON "claims" ("batchId")`);
    await ddl(
      q,
      `CREATE TABLE "task_inputs" (
      "claimId" varchar(66) PRIMARY KEY NOT NULL REFERENCES "claims" ("claimId"),
      "data" text NOT NULL,
      "salt" varchar(66))`,
    );
    await ddl(
      q,
      `CREATE TABLE "claim_transitions" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "claimId" varchar(66) NOT NULL REFERENCES "claims" ("claimId"),
      "fromStatus" varchar(16),
      "toStatus" varchar(16) NOT NULL,
      "reason" text,
      "at" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_transitions_claim" ON "claim_transitions" ("claimId")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['claim_transitions', 'task_inputs', 'claims', 'batches', 'models'])
      await ddl(q, `DROP TABLE "${table}"`);
  }
}
