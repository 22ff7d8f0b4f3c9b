// Finding 6 of issue 11: the watcher polices a verifier, so it must not take its chain from it. A
// malicious verifier describes another claim contract in GET /v1/chain (one the attackers
// deployed, paying its treasury); a watcher that believed it sent its bonded disputes there (it
// did before the fix, d39a218). Now its chain comes from its own configuration only.
import { deployContracts, depositBond, devAccount } from '@verilay/chain';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ATTACK_PARAMS,
  ETH,
  fake,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  useAttackWorld,
  withOutput,
} from './support/attack-world';
import { eventually, WATCHER_ENTRY } from './support/e2e';

describe('watcher against a verifier that lies about the chain (e2e)', () => {
  const spec = useAttackWorld('watcher-trust');

  it('finding 6: the watcher takes its chain from its own configuration, never from the verifier it polices', async () => {
    const { w } = spec;
    // The attackers' own deployment: their registrar, their treasury.
    const evil = await deployContracts(w.clients.sequencer, {
      ...ATTACK_PARAMS,
      treasury: devAccount(ROLES.sequencer).address,
    });
    await depositBond(w.clients.sequencer, evil, 5n * ETH);
    const lie = await makeClaim(w, 1, (t) => [...t.slice(0, -1), fake(t[t.length - 1], 9)]);
    await postClaims(w, [lie], evil);
    w.verifier.chain = {
      chainId: w.anvil.chainId,
      rpcUrl: w.anvil.rpcUrl,
      claims: evil.claims,
      registry: evil.registry,
      deployBlock: String(evil.deployBlock),
      sequencer: devAccount(ROLES.sequencer).address,
      domain: { name: 'verilay', version: '1', chainId: w.anvil.chainId, verifyingContract: evil.claims },
    };
    const env = w.watcherEnv(`${spec.dir}/bare.sqlite`);

    // What used to be the documented default (only the verifier's URL and the key) does not start.
    const bare = {
      PATH: process.env.PATH ?? '',
      WATCHER_VERIFIER_URL: env.WATCHER_VERIFIER_URL,
      WATCHER_KEY: env.WATCHER_KEY,
      WATCHER_DB: env.WATCHER_DB,
    };
    const failed = await promisify(execFile)(process.execPath, [WATCHER_ENTRY], { env: bare }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/"WATCHER_RPC_URL" is required/) });

    // Configured with its own chain, it disputes a lie on that chain and nothing on the other.
    const lieHere = await makeClaim(w, 2, (t) => [...t.slice(0, -1), fake(t[t.length - 1], 9)]);
    await postClaims(w, [lieHere]); // batch 0 of the watched contract: the verifier now serves this one
    const watcher = await spec.startWatcher();
    await eventually(
      async () => ((await readClaims<bigint>(w, 'disputeCount')) === 1n ? true : undefined),
      30_000,
      'a dispute on the configured contract',
    ).catch(withOutput(watcher));
    const d = await readClaims<{ challenger: string; leaf: string }>(w, 'dispute', [1n]);
    expect(d).toMatchObject({ challenger: devAccount(ROLES.watcher).address, leaf: lieHere.leaf });
    expect(await readClaims<bigint>(w, 'disputeCount', [], evil.claims)).toBe(0n);
    expect(await w.clients.stranger.public.getBalance({ address: evil.claims })).toBe(5n * ETH);
    expect(watcher.output()).not.toContain(evil.claims);
  }, 120_000);
});
