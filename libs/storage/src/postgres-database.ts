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
