import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/** A generation claim's prompt and completion lengths (JSON), null for other claims. */
export class ClaimGeneration1763769600004 implements MigrationInterface {
  name = 'ClaimGeneration1763769600004';

  async up(q: QueryRunner): Promise<void> {
    await ddl(q, `ALTER TABLE "claims" ADD COLUMN "generation" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `ALTER TABLE "claims" DROP COLUMN "generation"`);
  }
}
