export { compileCircuit, type CompiledCircuit } from './compile-circuit';
export {
  CeremonyTooSmallError,
  CircuitCompileError,
  PtauMismatchError,
  PtauUnavailableError,
  SetupFailedError,
  WitnessError,
} from './errors';
export { generateModelCircuit, type GeneratedCircuit } from './generate-circuit';
export { circuitInput } from './circuit-input';
export { firstUnsatisfied, parseR1cs, parseSym, type R1cs } from './r1cs';
export { WitnessCalculator, type CircuitInput } from './witness-calculator';
export {
  buildCircuit,
  circuitBuildDir,
  circuitHash,
  DEV_BEACON,
  devPtauPowerFor,
  fileSha256,
  findCircuitBuild,
  fitsCeremony,
  readCircuitBuild,
  type BuildOptions,
  type CircuitArtifacts,
} from './build-circuit';
export {
  explainInferenceProof,
  Prover,
  releaseProverThreads,
  verifyInferenceProof,
  type Groth16Proof,
  type InferenceProof,
  type VerificationKey,
} from './prover';
export { ProverPool, type KeyCheck } from './prover-pool';
export { Groth16Prover, type Groth16ProofResult } from './groth16-prover';
export { loadGroth16Prover } from './load-groth16-prover';
export { NativeGroth16Prover } from './native-groth16-prover';
export { SnarkjsGroth16Prover } from './snarkjs-groth16-prover';
export {
  NativePhase2Setup,
  phase2Setup,
  Phase2Setup,
  SnarkjsPhase2Setup,
  type Phase2Beacon,
} from './phase2-setup';
export { DEV_PTAU_POWER, nativeDevPtauPath } from './paths';
export {
  cachedFileSha256,
  devPtauFile,
  ensureDevPtau,
  MAX_DEV_PTAU_POWER,
  ptauPowerFor,
  type PtauFile,
} from './dev-ptau';
export {
  normalizeStepSource,
  stepCircuitTable,
  type DistinctStepCircuit,
  type StepCircuitTable,
} from './step-circuit-table';
