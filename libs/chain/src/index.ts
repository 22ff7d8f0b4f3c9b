export { signClaim } from './sign-claim';
export { recoverClaimSigner } from './recover-claim-signer';
export {
  compileSolidity,
  compileGroth16Verifier,
  compileGroth16VerifierContract,
  contractsDir,
  solcVersion,
  SOLC_SETTINGS,
  VERIFIER_SOLC_SETTINGS,
  SolidityCompileError,
  type CompiledContract,
} from './compile-solidity';
export {
  checkProvingKey,
  provingKeyCheck,
  readRegisteredVerifier,
  ProvingKeyMismatchError,
  type CheckedProvingKey,
  type ProvingKeyBuild,
} from './check-proving-key';
export { anvilBinary, startAnvil, type AnvilInstance, type AnvilOptions } from './start-anvil';
export { DEV_MNEMONIC, devAccount, devPrivateKey } from './dev-account';
export {
  createAnvilTestClient,
  createChainClients,
  verilayChain,
  type ChainClients,
  type ChainConnection,
} from './chain-clients';
export {
  ContractRevertError,
  decodeRevert,
  NotSentError,
  transact,
  type Mined,
  type TransactOptions,
} from './transact';
export { toSolidityProof, type SnarkjsGroth16Proof, type SolidityGroth16Proof } from './solidity-proof';
export { defaultClaimsParameters, type ClaimsParameters, type VerilayDeployment } from './deployment';
export { deployBytecode, deployContracts, type DeployedContracts } from './deploy-contracts';
export {
  encodeStepTable,
  registerModel,
  stepCircuitsOf,
  type ModelVerifiers,
  type StepCircuits,
} from './actions/register-model';
export { setStepVerifier } from './actions/set-step-verifier';
export { checkLazyStep, LazyStepRefusedError, type LazyStepRefusal } from './actions/check-lazy-step';
export { deployStepVerifier, type DeployedStepVerifier } from './actions/deploy-step-verifier';
export { readStepCircuit, stepProofTurnStart, type StepCircuitState } from './actions/read-step-circuit';
export { depositBond } from './actions/deposit-bond';
export { requestWithdrawal } from './actions/request-withdrawal';
export { executeWithdrawal } from './actions/execute-withdrawal';
export { withdraw } from './actions/withdraw';
export { postBatch, type PostedBatch } from './actions/post-batch';
export { claimStruct, openDispute, type OpenedDispute } from './actions/open-dispute';
export { provideSignature } from './actions/provide-signature';
export { submitValidityProof } from './actions/submit-validity-proof';
export { revealMidpoint } from './actions/reveal-midpoint';
export { chooseHalf } from './actions/choose-half';
export { submitStepProof } from './actions/submit-step-proof';
export { claimTimeout } from './actions/claim-timeout';
export { proveClaim } from './actions/prove-claim';
export { finalizeBatch } from './actions/finalize-batch';
export { DISPUTE_PHASES, readDispute, spentClock, type DisputePhaseName } from './actions/read-dispute';
export { readDisputeMoves, type DisputeMove } from './actions/read-dispute-moves';
export {
  CLAIM_STATUSES_ON_CHAIN,
  readClaimStatus,
  type OnChainClaimStatus,
} from './actions/read-claim-status';
export { readClaimsEvents, type ClaimsEvent } from './actions/read-events';
export { readEventRanges, type EventRangeOptions } from './read-event-ranges';
export {
  iGroth16VerifierAbi,
  modelRegistryAbi,
  modelRegistryBytecode,
  verilayClaimsAbi,
  verilayClaimsBytecode,
} from './generated/contracts';
