import { createChainClients, depositBond, devAccount, devPrivateKey, verilayClaimsAbi } from '@verilay/chain';
import { chainDeployment, freePort, VerifierProcess, WatcherProcess, type ClaimView } from '@verilay/client';
import { errorMessage } from '@verilay/errors';
import { describeNative } from '@verilay/native';
import { modelToJson, type Model } from '@verilay/inference';
import type { ClaimStatus } from '@verilay/protocol';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getAddress, type LocalAccount } from 'viem';
import { formatEth } from './format-eth';
import { minedCalls, type MinedCall } from './mined-calls';
import { WindowCountdown } from './window-countdown';

export const REPO_ROOT = resolve(__dirname, '../../../../../..');

/**
 * The demo's narration: every line with the seconds since it started, on the monotonic clock: the
 * wall clock (Date.now) can be stepped back under a busy circuit build, and the lines with it.
 */
export function narrator(clock: () => number = () => performance.now()): (line: string) => void {
  const started = clock();
  return (line) => console.log(`[${((clock() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
}

/**
 * What every demo story runs on: a verifier with its embedded anvil chain (contracts deployed),
 * then, once a model is registered, a watcher run by a challenger and a bonded operator.
 */
export class DemoNetwork {
  readonly operator = devAccount(2);
  readonly challenger = devAccount(3).address;
  private watcher?: WatcherProcess;

  private constructor(
    readonly verifier: VerifierProcess,
    readonly chain: Awaited<ReturnType<VerifierProcess['client']['chain']>>,
    readonly dir: string,
    readonly cacheDir: string,
    private readonly say: (line: string) => void,
  ) {}

  static async start(opts: {
    db?: string;
    windowMs: number;
    say: (line: string) => void;
  }): Promise<DemoNetwork> {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-demo-'));
    const db = opts.db ?? join(dir, 'verifier.sqlite');
    const cacheDir = join(REPO_ROOT, '.verilay/cache');
    opts.say(`running on the ${describeNative()}`);
    opts.say(
      `starting the verifier (database ${db}, embedded anvil chain, challenge window ${opts.windowMs / 1000} s)`,
    );
    const verifier = await VerifierProcess.start(join(REPO_ROOT, 'dist/apps/verifier/src/main.js'), {
      VERIFIER_DB: db,
      VERIFIER_CHALLENGE_WINDOW_MS: String(opts.windowMs),
      VERIFIER_DISPUTE_CLOCK_S: '30',
      VERIFIER_BATCH_INTERVAL_MS: '250',
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERILAY_CACHE_DIR: cacheDir,
    });
    try {
      const chain = await verifier.client.chain();
      opts.say(
        `chain ${chain.rpcUrl} (id ${chain.chainId}): VerilayClaims ${chain.claims}, ModelRegistry ${chain.registry}`,
      );
      return new DemoNetwork(verifier, chain, dir, cacheDir, opts.say);
    } catch (error) {
      await verifier.stop();
      throw error;
    }
  }

  get client() {
    return this.verifier.client;
  }

  /** A client of the embedded chain with `account`'s key. */
  clients(account: LocalAccount = devAccount(7)) {
    return createChainClients({ rpcUrl: this.chain.rpcUrl!, chainId: this.chain.chainId }, account);
  }

  /**
   * Registers the model with the verifier (it is on chain already), starts the watcher and bonds
   * the operator for `claims` claims; returns the balances the report compares with.
   */
  async play(model: Model, claims: number): Promise<{ bond: bigint; challenger: bigint }> {
    const { modelId } = await this.client.registerModel(modelToJson(model));
    this.say(`model ${modelId.slice(0, 10)}… registered on chain and with the verifier`);
    await this.startWatcher();
    const bond = await this.bondOperator(claims);
    return { bond, challenger: await this.clients().public.getBalance({ address: this.challenger }) };
  }

  /** The watcher: its chain is given to it, not read from the verifier it polices (issue 11, finding 6). */
  async startWatcher(): Promise<void> {
    this.watcher = await WatcherProcess.start(join(REPO_ROOT, 'dist/apps/watcher/src/main.js'), {
      WATCHER_RPC_URL: this.chain.rpcUrl!,
      WATCHER_CHAIN_ID: String(this.chain.chainId),
      WATCHER_CLAIMS_CONTRACT: this.chain.claims,
      WATCHER_REGISTRY_CONTRACT: this.chain.registry,
      WATCHER_DEPLOY_BLOCK: this.chain.deployBlock,
      WATCHER_VERIFIER_URL: this.verifier.url,
      WATCHER_KEY: devPrivateKey(3),
      WATCHER_DB: join(this.dir, 'watcher.sqlite'),
      WATCHER_POLL_MS: '300',
      VERILAY_CACHE_DIR: this.cacheDir,
    });
    this.say(`watcher running for challenger ${this.challenger}`);
  }

  /** The operator's bond on the claim contract. */
  async bond(): Promise<bigint> {
    const account = (await this.clients().public.readContract({
      address: this.chain.claims,
      abi: verilayClaimsAbi,
      functionName: 'account',
      args: [this.operator.address],
    } as never)) as { bond: bigint };
    return account.bond;
  }

  /** Bonds the operator for `claims` dispute stakes (0.1 ETH each on the embedded chain). */
  async bondOperator(claims: number): Promise<bigint> {
    await depositBond(
      this.clients(this.operator),
      chainDeployment(this.chain),
      BigInt(Math.max(10, claims)) * 10n ** 17n,
    );
    const bond = await this.bond();
    this.say(`operator ${this.operator.address} bonded ${formatEth(bond)} ETH`);
    return bond;
  }

  /** Follows claims until each is final or slashed, narrating every change of status. */
  async settle(claims: readonly { claimId: `0x${string}` }[], labels: readonly string[], deadlineMs: number) {
    const seen = new Map<string, ClaimStatus>();
    const deadline = Date.now() + deadlineMs;
    const countdown = new WindowCountdown(this.say);
    const settled = () => [...seen.values()].filter((s) => s === 'final' || s === 'slashed').length;
    let quietSince = 0;
    while (settled() < claims.length) {
      if (Date.now() > deadline) throw new Error('claims did not settle in time');
      if (this.verifier.child.exitCode !== null)
        throw new Error(`verifier exited:\n${this.verifier.output()}`);
      for (const [i, { claimId }] of claims.entries()) {
        let view: ClaimView;
        try {
          view = await this.client.getClaim(claimId);
        } catch (error) {
          // A slow answer (the machine busy building a circuit) is asked again, not fatal.
          if (Date.now() - quietSince > 30_000)
            this.say(`the verifier did not answer (${errorMessage(error)}); asking again`);
          quietSince = Date.now();
          break;
        }
        if (view.status === 'posted' && view.batch?.chainIndex != null && view.batch.windowEndsAt)
          countdown.observe(view.batch.chainIndex, Date.parse(view.batch.windowEndsAt), Date.now());
        if (seen.get(claimId) === view.status) continue;
        const detail =
          view.status === 'posted' && view.batch?.chainIndex != null
            ? ` (batch ${view.batch.chainIndex} on chain, window ends ${view.batch.windowEndsAt})`
            : view.reason
              ? ` (${view.reason})`
              : '';
        this.say(
          `claim ${i + 1} ${claimId.slice(0, 10)}… [${labels[i]}] ${seen.get(claimId) ?? 'new'} -> ${view.status}${detail}`,
        );
        seen.set(claimId, view.status);
        if (view.status === 'slashed') await this.explainDispute(i, view.reason);
      }
      countdown.tick(Date.now());
      await sleep(250);
    }
    const count = (status: ClaimStatus) => [...seen.values()].filter((s) => s === status).length;
    this.say(`all ${claims.length} claims settled: ${count('final')} final, ${count('slashed')} slashed`);
  }

  /** Who disputed claim `i` and who proved it wrong, with the gas of their mined transactions. */
  private async explainDispute(i: number, reason: string | null): Promise<void> {
    const id = /dispute (\d+)/.exec(reason ?? '')?.[1];
    if (!id) return;
    const calls = await this.calls();
    // Disputes are numbered from 1 in the order they were opened.
    const opened = calls.filter((c) => c.functionName === 'openDispute')[Number(id) - 1];
    const ended = calls.find(
      (c) =>
        ['submitValidityProof', 'submitStepProof', 'timeout'].includes(c.functionName) &&
        c.args[0] === BigInt(id),
    );
    const how: Record<string, string> = {
      submitValidityProof: 'a Groth16 proof of the whole inference',
      submitStepProof: 'a Groth16 proof of the one step bisected to',
      timeout: 'a timeout (the operator did not answer in time)',
    };
    if (opened)
      this.say(
        `dispute ${id} over claim ${i + 1}: opened by ${this.who(opened.from)} (openDispute, ${gas(opened.gasUsed)} gas, tx ${opened.hash.slice(0, 10)}…)`,
      );
    if (ended)
      this.say(
        `dispute ${id}: ended by ${how[ended.functionName]} sent by ${this.who(ended.from)} (${ended.functionName}, ${gas(ended.gasUsed)} gas, tx ${ended.hash.slice(0, 10)}…)`,
      );
  }

  /** The calls to the claim contract mined so far. */
  private calls(): Promise<MinedCall[]> {
    return minedCalls(this.clients().public, this.chain.claims, BigInt(this.chain.deployBlock));
  }

  /** Who an address is in the story. */
  private who(address: string): string {
    const roles: [string, string][] = [
      [this.operator.address, 'the operator'],
      [this.challenger, 'the challenger (watcher)'],
      [this.chain.sequencer, "the verifier's sequencer"],
      [devAccount(0).address, 'the registrar'],
    ];
    const role = roles.find(([a]) => a.toLowerCase() === address.toLowerCase())?.[1];
    return role ? `${role} ${getAddress(address).slice(0, 10)}…` : getAddress(address);
  }

  /** The money: the operator's bond, the challenger's gain, and the gas each party's mined transactions used. */
  async report(before: { bond: bigint; challenger: bigint }): Promise<void> {
    const { bond: bondBefore, challenger: challengerBefore } = before;
    await sleep(1500); // the watcher withdraws its winnings
    const bondAfter = await this.bond();
    const challengerAfter = await this.clients().public.getBalance({ address: this.challenger });
    this.say(
      `operator bond ${formatEth(bondBefore)} -> ${formatEth(bondAfter)} ETH (slashed ${formatEth(bondBefore - bondAfter)})`,
    );
    this.say(
      `challenger balance change, after its gas: ${formatEth(challengerAfter - challengerBefore)} ETH`,
    );
    // Per sender and function: the gas of its mined calls, summed, and how many there were.
    const bySender = new Map<string, Map<string, { gas: bigint; calls: number }>>();
    for (const call of await this.calls()) {
      const spent =
        bySender.get(call.from.toLowerCase()) ?? new Map<string, { gas: bigint; calls: number }>();
      const sum = spent.get(call.functionName) ?? { gas: 0n, calls: 0 };
      spent.set(call.functionName, { gas: sum.gas + call.gasUsed, calls: sum.calls + 1 });
      bySender.set(call.from.toLowerCase(), spent);
    }
    for (const [from, spent] of bySender) {
      const items = [...spent].map(
        ([f, s]) => `${f} ${gas(s.gas)}${s.calls > 1 ? ` (${s.calls} calls)` : ''}`,
      );
      this.say(`gas (mined receipts) of ${this.who(from)}: ${items.join(', ')}`);
    }
    this.say(`Databases kept in ${this.dir}`);
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    await this.verifier.stop();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gas = (n: bigint) => n.toLocaleString('en-US');

/**
 * Runs `f` with the console silenced: modelRegister prints its JSON summary and its own progress
 * (with its own clock); the demo tells the story.
 */
export async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  console.log = console.error = () => undefined;
  try {
    return await f();
  } finally {
    Object.assign(console, { log, error });
  }
}
