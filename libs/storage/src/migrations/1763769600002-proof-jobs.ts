import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProofJobs1763769600002 implements MigrationInterface {
  name = 'ProofJobs1763769600002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "proof_jobs" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "claimId" varchar(66) NOT NULL REFERENCES "claims" ("claimId"),
      "status" varchar(16) NOT NULL,
      "verdict" varchar(16),
      "result" text,
      "error" text,
      "createdAt" integer NOT NULL,
      "updatedAt" integer NOT NULL)`);
    await q.query(`CREATE INDEX "idx_proof_jobs_status" ON "proof_jobs" ("status", "id")`);
    await q.query(`CREATE INDEX "idx_proof_jobs_claim" ON "proof_jobs" ("claimId")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "proof_jobs"`);
  }
}
