import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/**
 * A wrong claim is pursued per posting until the chain says it is slashed or final: the watcher
 * keeps what it needs to dispute it again (claim, signature, inclusion proof, task input), so a
 * verifier that stops serving the data cannot stop it, and the chain's verdict on the posting.
 */
export class WatcherPostings1763769700001 implements MigrationInterface {
  name = 'WatcherPostings1763769700001';

  async up(q: QueryRunner): Promise<void> {
    await ddl(q, `ALTER TABLE "watcher_claims" ADD COLUMN "posting" text`);
    await ddl(q, `ALTER TABLE "watcher_claims" ADD COLUMN "outcome" varchar(16)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `ALTER TABLE "watcher_claims" DROP COLUMN "outcome"`);
    await ddl(q, `ALTER TABLE "watcher_claims" DROP COLUMN "posting"`);
  }
}
