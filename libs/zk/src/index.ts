export { compileCircuit, type CompiledCircuit } from './compile-circuit';
export { CeremonyTooSmallError, CircuitCompileError, SetupFailedError, WitnessError } from './errors';
export { generateModelCircuit, type GeneratedCircuit } from './generate-circuit';
export { circuitInput } from './circuit-input';
export { firstUnsatisfied, parseR1cs, parseSym, type R1cs } from './r1cs';
export { WitnessCalculator, type CircuitInput } from './witness-calculator';
export {
  buildCircuit,
  circuitBuildDir,
  circuitHash,
  DEV_BEACON,
  fileSha256,
  findCircuitBuild,
  fitsCeremony,
  readCircuitBuild,
  type BuildOptions,
  type CircuitArtifacts,
} from './build-circuit';
export {
  Prover,
  releaseProverThreads,
  verifyInferenceProof,
  type Groth16Proof,
  type InferenceProof,
  type VerificationKey,
} from './prover';
export { ProverPool, type KeyCheck } from './prover-pool';
export { DEV_PTAU_POWER } from './paths';
