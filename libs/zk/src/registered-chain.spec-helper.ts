// Test support: a fresh anvil with verilay deployed and `build`'s whole-inference verifier
// registered for `model`, as a registrar would leave it.
import {
  compileGroth16Verifier,
  createChainClients,
  defaultClaimsParameters,
  deployBytecode,
  deployContracts,
  devAccount,
  registerModel,
  startAnvil,
} from '@verilay/chain';
import type { Model } from '@verilay/inference';
import { readFileSync } from 'node:fs';
import type { CircuitArtifacts } from './build-circuit';

export async function chainWithRegisteredVerifier(build: CircuitArtifacts, model: Model) {
  const anvil = await startAnvil();
  const clients = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
  const deployment = await deployContracts(clients, defaultClaimsParameters(devAccount(9).address));
  const verifier = await deployBytecode(
    clients,
    'Groth16Verifier',
    compileGroth16Verifier(readFileSync(build.verifierSolPath, 'utf8')),
  );
  await registerModel(clients, deployment, {
    modelId: build.modelId,
    wholeVerifier: verifier.address,
    traceLength: model.layers.length,
  });
  return { anvil, clients, deployment };
}
