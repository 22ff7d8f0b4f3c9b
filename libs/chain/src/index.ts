export { signClaim } from './sign-claim';
export { recoverClaimSigner } from './recover-claim-signer';
export {
  compileSolidity,
  compileGroth16Verifier,
  contractsDir,
  solcVersion,
  SOLC_SETTINGS,
  VERIFIER_SOLC_SETTINGS,
  SolidityCompileError,
  type CompiledContract,
} from './compile-solidity';
