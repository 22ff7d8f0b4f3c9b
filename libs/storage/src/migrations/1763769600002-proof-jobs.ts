import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

export class ProofJobs1763769600002 implements MigrationInterface {
  name = 'ProofJobs1763769600002';

  async up(q: QueryRunner): Promise<void> {
    await ddl(
      q,
      `CREATE TABLE "proof_jobs" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "claimId" varchar(66) NOT NULL REFERENCES "claims" ("claimId"),
      "status" varchar(16) NOT NULL,
      "verdict" varchar(16),
      "result" text,
      "error" text,
      "createdAt" integer NOT NULL,
      "updatedAt" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_proof_jobs_status" ON "proof_jobs" ("status", "id")`);
    await ddl(q, `CREATE INDEX "idx_proof_jobs_claim" ON "proof_jobs" ("claimId")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `DROP TABLE "proof_jobs"`);
  }
}
