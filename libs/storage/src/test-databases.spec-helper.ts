import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase } from './postgres-database';

/** The databases every repository spec runs on. */
export type DatabaseKind = 'sqlite' | 'postgres';

/** A fresh, empty database of one test: its location (a sqlite path or a Postgres URL). */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly location: string;
  /** Removes it (close its DataSources first; Postgres drops it even so). */
  drop(): Promise<void>;
}

/** `bash scripts/services.sh start` prints it; .ci/run sets VERILAY_REQUIRE_SERVERS=1. */
const POSTGRES_URL = process.env.VERILAY_TEST_POSTGRES_URL;
const REQUIRED = process.env.VERILAY_REQUIRE_SERVERS === '1';
let told = false;

/**
 * `describe.each` over sqlite and Postgres. Without VERILAY_TEST_POSTGRES_URL the Postgres half is
 * skipped, and says so, unless VERILAY_REQUIRE_SERVERS=1: then its missing server fails.
 */
export function describeEachDatabase(name: string, body: (kind: DatabaseKind) => void): void {
  describe.each<DatabaseKind>(['sqlite', 'postgres'])(`${name} on %s`, (kind) => {
    if (kind === 'postgres' && !POSTGRES_URL) {
      if (REQUIRED)
        it('has its Postgres server', () => {
          throw new Error('VERILAY_REQUIRE_SERVERS=1 but VERILAY_TEST_POSTGRES_URL is unset');
        });
      else {
        if (!told)
          console.log(
            'Postgres specs skipped: VERILAY_TEST_POSTGRES_URL is unset (bash scripts/services.sh start)',
          );
        told = true;
        it.skip('(no VERILAY_TEST_POSTGRES_URL)', () => undefined);
      }
      return;
    }
    body(kind);
  });
}

/** A new database: a temp sqlite file, or `CREATE DATABASE verilay_t_<random>` on the test server. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-db-'));
    return {
      kind,
      location: join(dir, 'db.sqlite'),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!POSTGRES_URL) throw new Error('VERILAY_TEST_POSTGRES_URL is unset');
  const database = await createPostgresDatabase(POSTGRES_URL);
  return { kind, location: database.url, drop: database.drop };
}
