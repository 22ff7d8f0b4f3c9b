import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database of its own on a Postgres server, for a test or a benchmark run. */
export interface PostgresDatabase {
  /** The server's URL with this database's name. */
  readonly url: string;
  /** Drops it, even with sessions still open on it. */
  drop(): Promise<void>;
}

/**
 * `CREATE DATABASE <prefix>_<random>` on the server `serverUrl` names (any database of it: the
 * statement runs there). Specs and benches use it so that runs never share state.
 */
export async function createPostgresDatabase(
  serverUrl: string,
  prefix = 'verilay_t',
): Promise<PostgresDatabase> {
  const onServer = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  const name = `${prefix}_${randomBytes(8).toString('hex')}`;
  await onServer(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The Postgres server the specs use (VERILAY_TEST_POSTGRES_URL: `bash scripts/services.sh start`
 * prints it), or undefined: its specs are then skipped with a line saying so, unless
 * VERILAY_REQUIRE_SERVERS=1 (CI), where a missing server is a failure. (libs/queue's
 * testRedisUrl is its Redis twin.)
 */
export function testPostgresUrl(): string | undefined {
  const url = process.env.VERILAY_TEST_POSTGRES_URL;
  if (url) return url;
  if (process.env.VERILAY_REQUIRE_SERVERS === '1')
    throw new Error(
      'VERILAY_TEST_POSTGRES_URL is unset and VERILAY_REQUIRE_SERVERS=1 (bash scripts/services.sh start)',
    );
  console.warn(
    'Postgres specs skipped: VERILAY_TEST_POSTGRES_URL is unset (bash scripts/services.sh start prints it)',
  );
  return undefined;
}
