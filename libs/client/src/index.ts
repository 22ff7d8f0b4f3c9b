export { API_KEY_ID, API_SCOPES, devApiKeyFile, hashApiKey, mintApiKey, type ApiScope } from './api-key';
export { buildClaim, type BuildClaimOptions } from './build-claim';
export { MalformedResponseError, ResponseTooLargeError } from './read-capped-json';
export {
  ANSWER_CAPS,
  chainDeployment,
  VerifierApiError,
  VerifierClient,
  type VerifierClientOptions,
  type ReadOptions,
  type BatchList,
  type WebhookDelivery,
  type WebhookSubscription,
  type WebhookView,
  type BatchView,
  type ClaimList,
  type ClaimListQuery,
  type ChainView,
  type ClaimView,
  type ProofView,
  type TaskInputView,
} from './verifier-client';
export { AppProcess, freePort } from './app-process';
export { VerifierProcess } from './verifier-process';
export { WatcherProcess, type WatcherHealth } from './watcher-process';
export { readEventStream, type EventStreamOptions, type VerilayEvent } from './event-stream';
