import type { DataSourceOptions } from 'typeorm';
import { types as pgTypes } from 'pg';
import { isPostgresUrl } from './dialect';
import { quietSqlite3 } from './quiet-sqlite3';
import { BatchEntity } from './batch.entity';
import { ClaimTransitionEntity } from './claim-transition.entity';
import { ClaimEntity } from './claim.entity';
import { InitialSchema1763769600000 } from './migrations/1763769600000-initial-schema';
import { VerifierMeta1763769600001 } from './migrations/1763769600001-verifier-meta';
import { ProofJobs1763769600002 } from './migrations/1763769600002-proof-jobs';
import { Chain1763769600003 } from './migrations/1763769600003-chain';
import { ClaimGeneration1763769600004 } from './migrations/1763769600004-claim-generation';
import { DisputeEntity } from './dispute.entity';
import { EventEntity } from './event.entity';
import { EventsWebhooks1763769600005 } from './migrations/1763769600005-events-webhooks';
import { EventsTypeIndex1763769600006 } from './migrations/1763769600006-events-type-index';
import { WatcherSchema1763769700000 } from './migrations/1763769700000-watcher-schema';
import { WatcherPostings1763769700001 } from './migrations/1763769700001-watcher-postings';
import { WebhookDeliveryEntity, WebhookSubscriptionEntity } from './webhook.entity';
import { ProofJobEntity } from './proof-job.entity';
import { MODEL_ENTITY_POSTGRES, ModelEntity } from './model.entity';
import { TaskInputEntity } from './task-input.entity';

export const VERIFIER_ENTITIES = [
  ModelEntity,
  ClaimEntity,
  TaskInputEntity,
  BatchEntity,
  ClaimTransitionEntity,
  ProofJobEntity,
  DisputeEntity,
  EventEntity,
  WebhookSubscriptionEntity,
  WebhookDeliveryEntity,
];
export const VERIFIER_MIGRATIONS = [
  InitialSchema1763769600000,
  VerifierMeta1763769600001,
  ProofJobs1763769600002,
  Chain1763769600003,
  ClaimGeneration1763769600004,
  EventsWebhooks1763769600005,
  EventsTypeIndex1763769600006,
];
const WATCHER_MIGRATIONS = [WatcherSchema1763769700000, WatcherPostings1763769700001];

/**
 * The verifier's database at `location`: a `postgres://` URL (VERIFIER_DATABASE_URL; replicas
 * share it), else a sqlite file (VERIFIER_DB, the embedded default). Schema by the same
 * migrations on both (never `synchronize`).
 */
export function verifierDataSourceOptions(location: string): DataSourceOptions {
  const entities = isPostgresUrl(location)
    ? VERIFIER_ENTITIES.map((e) => (e === ModelEntity ? MODEL_ENTITY_POSTGRES : e))
    : VERIFIER_ENTITIES;
  return dataSourceOptions(location, entities, VERIFIER_MIGRATIONS);
}

/** The watcher's own database at `location`: a `postgres://` URL (WATCHER_DATABASE_URL) or a sqlite file. */
export function watcherDataSourceOptions(location: string): DataSourceOptions {
  return dataSourceOptions(location, [], WATCHER_MIGRATIONS);
}

function dataSourceOptions(
  location: string,
  entities: NonNullable<DataSourceOptions['entities']>,
  migrations: NonNullable<DataSourceOptions['migrations']>,
): DataSourceOptions {
  const common = {
    entities,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (isPostgresUrl(location))
    return {
      ...common,
      type: 'postgres',
      url: checkPostgresUrl(location),
      // Per pool, not pg's global parser: other users of pg in the process keep theirs.
      extra: { types: { getTypeParser: postgresTypeParser } },
    };
  // sqlite: WAL journal with synchronous=FULL, so a committed transaction survives a crash or power loss.
  return {
    ...common,
    type: 'sqlite',
    database: location,
    enableWAL: true,
    busyTimeout: 5000,
    driver: quietSqlite3,
  };
}

/**
 * Checks a Postgres URL before anything connects (the apps' configs use it too, so a bad
 * VERIFIER_DATABASE_URL stops the app at boot with the variable's name): it parses, and names a
 * host and a database. Returns it unchanged.
 */
export function checkPostgresUrl(location: string): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new Error('the Postgres URL does not parse (postgres://user:password@host:port/database)');
  }
  if (!url.hostname || url.pathname.length < 2)
    throw new Error(
      `the Postgres URL needs a host and a database name (got host "${url.hostname}", database "${url.pathname.slice(1)}")`,
    );
  return location;
}

const INT8 = 20;

/**
 * Schema integers are `bigint` on Postgres (ms timestamps exceed int4), which pg returns as
 * strings; the repositories' callers expect numbers, as sqlite gives them, from entities and
 * from raw `COUNT(*)` and `MAX(id)` alike. Past 2^53 a number would be wrong, so that throws.
 */
function postgresTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid !== INT8) return pgTypes.getTypeParser(oid, format);
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds a safe JavaScript number`);
    return n;
  };
}
