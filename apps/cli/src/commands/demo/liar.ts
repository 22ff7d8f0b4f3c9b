import {
  provideSignature,
  readDispute,
  revealMidpoint,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { TraceTree, type Hex32 } from '@verilay/commitments';
import type { Model } from '@verilay/inference';
import type { ClaimSubmission } from '@verilay/protocol';
import { sleep } from './demo-network';

/**
 * A lying operator defending its claim as far as it can, as a real one would to keep its stake:
 * it shows its signature and reveals its committed trace at every midpoint the challenger asks
 * for. Its trace is true up to the output it lied about, so the bisection narrows to the one step
 * where the lie enters, and there it has nothing to show. Narrates the game; returns when resolved.
 */
export async function defendTheLie(
  operator: ChainClients,
  deployment: VerilayDeployment,
  claim: ClaimSubmission & { readonly claimId: `0x${string}` },
  trace: readonly Hex32[],
  model: Model,
  say: (line: string) => void,
  deadlineMs: number,
): Promise<void> {
  const tree = new TraceTree(trace);
  const deadline = Date.now() + deadlineMs;
  let disputeId: bigint | undefined;
  let last = '';
  for (;;) {
    if (Date.now() > deadline) throw new Error(`the dispute over ${claim.claimId} did not end in time`);
    disputeId ??= await findDispute(operator, deployment, claim.claimId);
    if (disputeId === undefined) {
      await sleep(300);
      continue;
    }
    const d = await readDispute(operator, deployment, disputeId);
    const state = `${d.phaseName} [${d.lo}, ${d.hi}]`;
    if (state !== last) {
      last = state;
      if (d.phaseName === 'resolved') {
        say(
          `dispute ${disputeId}: ${d.challengerWon ? 'the challenger won' : 'the defender won'} (step proof of step ${d.lo})`,
        );
        return;
      }
      if (d.hi === d.lo + 1)
        say(
          `dispute ${disputeId}: bisected to one step, ${d.lo} (${model.layers[d.lo].op}); its circuit is built now by the registrar, then proven`,
        );
      else if (d.phaseName === 'await-reveal' || d.phaseName === 'await-choice')
        say(`dispute ${disputeId}: bisection range [${d.lo}, ${d.hi}] (${d.phaseName})`);
    }
    if (d.phaseName === 'await-signature')
      await provideSignature(operator, deployment, disputeId, claim, claim.signature);
    else if (d.phaseName === 'await-reveal') {
      const mid = Math.floor((d.lo + d.hi) / 2);
      await revealMidpoint(operator, deployment, disputeId, tree.commitments[mid], tree.proof(mid));
    } else await sleep(300);
  }
}

async function findDispute(
  clients: ChainClients,
  deployment: VerilayDeployment,
  leaf: `0x${string}`,
): Promise<bigint | undefined> {
  const count = await clients.public.readContract({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'disputeCount',
  });
  for (let id = count; id >= 1n; id--)
    if ((await readDispute(clients, deployment, id)).leaf.toLowerCase() === leaf.toLowerCase()) return id;
  return undefined;
}
