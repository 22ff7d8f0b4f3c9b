export { BatchEntity, type BatchStatus } from './batch.entity';
export { ClaimEntity } from './claim.entity';
export { ClaimTransitionEntity } from './claim-transition.entity';
export { ModelEntity } from './model.entity';
export { TaskInputEntity } from './task-input.entity';
export { ClaimRepository, type ClaimRecord, type NewClaim } from './claim.repository';
export { ModelRepository } from './model.repository';
export { ChallengeWindowClosedError, DuplicateClaimError, StaleClaimStatusError } from './errors';
export { VERIFIER_ENTITIES, VERIFIER_MIGRATIONS, verifierDataSourceOptions } from './data-source-options';
