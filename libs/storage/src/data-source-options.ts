import type { DataSourceOptions } from 'typeorm';
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
import { WebhookDeliveryEntity, WebhookSubscriptionEntity } from './webhook.entity';
import { ProofJobEntity } from './proof-job.entity';
import { ModelEntity } from './model.entity';
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

/**
 * The verifier's database: a sqlite file, schema by migrations (never `synchronize`), WAL journal
 * with synchronous=FULL so a committed transaction survives a crash or power loss.
 */
export function verifierDataSourceOptions(database: string): DataSourceOptions {
  return {
    type: 'sqlite',
    database,
    entities: VERIFIER_ENTITIES,
    migrations: VERIFIER_MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    enableWAL: true,
    busyTimeout: 5000,
    logging: false,
    driver: quietSqlite3,
  };
}
