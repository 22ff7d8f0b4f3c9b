export { buildClaim, type BuildClaimOptions } from './build-claim';
export {
  VerifierApiError,
  VerifierClient,
  type BatchView,
  type ChainView,
  type ClaimView,
  type ProofView,
  type TaskInputView,
} from './verifier-client';
export { freePort, VerifierProcess } from './verifier-process';
