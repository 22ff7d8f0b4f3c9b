export { signClaim } from './sign-claim';
export { recoverClaimSigner } from './recover-claim-signer';
