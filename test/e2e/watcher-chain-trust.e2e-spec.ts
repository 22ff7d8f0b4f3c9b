// Finding 6 of issue 11: the watcher polices a verifier, so it must not take its chain from it. A
// malicious verifier describes another claim contract in GET /v1/chain (one the attackers
// deployed, paying its treasury); a watcher that believes it sends its bonded disputes there.
import { deployContracts, depositBond, devAccount, verilayClaimsAbi } from '@verilay/chain';
import { WatcherProcess } from '@verilay/client';
import { releaseProverThreads } from '@verilay/zk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ATTACK_PARAMS,
  ETH,
  fake,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  startAttackWorld,
  type AttackWorld,
} from './support/attack-world';
import { eventually, WATCHER_ENTRY } from './support/e2e';

describe('watcher against a verifier that lies about the chain (e2e)', () => {
  let w: AttackWorld;
  let dir: string;
  let watcher: WatcherProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-watcher-trust-'));
    w = await startAttackWorld();
  }, 600_000);
  afterAll(async () => {
    await watcher?.stop();
    w?.verifier.close();
    await w?.anvil.stop();
    await releaseProverThreads();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reproduces finding 6: the verifier points the watcher at its own contract and the watcher bonds a dispute there', async () => {
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
    // The documented default: only the verifier's URL and the challenger's key.
    const env = w.watcherEnv(join(dir, 'w.sqlite'));
    watcher = await WatcherProcess.start(WATCHER_ENTRY, {
      WATCHER_VERIFIER_URL: env.WATCHER_VERIFIER_URL,
      WATCHER_KEY: env.WATCHER_KEY,
      WATCHER_DB: env.WATCHER_DB,
      WATCHER_POLL_MS: env.WATCHER_POLL_MS,
      WATCHER_THREADS: env.WATCHER_THREADS,
      VERILAY_CACHE_DIR: env.VERILAY_CACHE_DIR,
    });
    await eventually(
      async () => ((await readClaims<bigint>(w, 'disputeCount', [], evil.claims)) === 1n ? true : undefined),
      30_000,
      'a dispute on the attackers contract',
    );
    const d = await w.clients.stranger.public.readContract({
      address: evil.claims,
      abi: verilayClaimsAbi,
      functionName: 'dispute',
      args: [1n],
    });
    expect(d.challenger).toBe(devAccount(ROLES.watcher).address);
    // The watcher's bond now sits in the attackers' contract.
    expect(await w.clients.stranger.public.getBalance({ address: evil.claims })).toBe(
      5n * ETH + ATTACK_PARAMS.challengerBond,
    );
  }, 120_000);
});
