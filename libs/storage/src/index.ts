export { BatchEntity, type BatchStatus } from './batch.entity';
export { ClaimEntity } from './claim.entity';
export { ClaimTransitionEntity } from './claim-transition.entity';
export { ModelEntity } from './model.entity';
export { TaskInputEntity } from './task-input.entity';
export { ClaimRepository, type ClaimRecord, type NewClaim, type PendingClaim } from './claim.repository';
export { ModelRepository } from './model.repository';
export {
  ChallengeWindowClosedError,
  DuplicateClaimError,
  ProofQueueFullError,
  StaleClaimStatusError,
} from './errors';
export {
  VERIFIER_ENTITIES,
  VERIFIER_MIGRATIONS,
  verifierDataSourceOptions,
  watcherDataSourceOptions,
  checkPostgresUrl,
} from './data-source-options';
export { openDataSource } from './open-data-source';
export { createPostgresDatabase, testPostgresUrl, type PostgresDatabase } from './postgres-database';
export { MetaRepository } from './meta.repository';
export { ProofJobEntity, type ProofJobStatus, type ProofVerdict } from './proof-job.entity';
export { ProofJobRepository } from './proof-job.repository';
export { DisputeEntity, type DisputeStatus } from './dispute.entity';
export { DisputeRepository } from './dispute.repository';
export {
  WatcherRepository,
  type ClaimVerdict,
  type CheckedBatch,
  type WatchedBatch,
  type WatchedBatchStatus,
  type PostingOutcome,
  type WatcherDispute,
  type WrongPosting,
  type WatcherDisputeStatus,
} from './watcher.repository';
export { EVENT_TYPES, EventEntity, type EventType, type NewEvent } from './event.entity';
export { EventRepository, eventMatches, type EventFilter } from './event.repository';
export { WebhookDeliveryEntity, WebhookSubscriptionEntity, type DeliveryStatus } from './webhook.entity';
export {
  WebhookRepository,
  type AttemptOutcome,
  type DeliveryCounts,
  type DueDelivery,
  type NewSubscription,
} from './webhook.repository';
export {
  Listings,
  type ClaimCursor,
  type ClaimListFilter,
  type ClaimSummary,
  type ModelSummary,
} from './listings';
