import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/** Settings the database is bound to (e.g. the EIP-712 domain its claims were signed under). */
export class VerifierMeta1763769600001 implements MigrationInterface {
  name = 'VerifierMeta1763769600001';

  async up(q: QueryRunner): Promise<void> {
    await ddl(
      q,
      `CREATE TABLE "verifier_meta" ("key" varchar(64) PRIMARY KEY NOT NULL, "value" text NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `DROP TABLE "verifier_meta"`);
  }
}
