import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A generation claim's prompt and completion lengths (JSON), null for other claims. */
export class ClaimGeneration1763769600004 implements MigrationInterface {
  name = 'ClaimGeneration1763769600004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "claims" ADD COLUMN "generation" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "claims" DROP COLUMN "generation"`);
  }
}
