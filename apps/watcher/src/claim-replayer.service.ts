import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { modelRegistryAbi } from '@verilay/chain';
import { ANSWER_CAPS, MalformedResponseError, ResponseTooLargeError, VerifierClient } from '@verilay/client';
import { errorMessage } from '@verilay/errors';
import { ComputeBudgetExceededError, decodeModel, modelIdOfBytes, type Model } from '@verilay/inference';
import type { ClaimFields } from '@verilay/protocol';
import { createReplayExecutor } from '@verilay/queue';
import {
  ByteBudget,
  ByteLru,
  describeExecutor,
  ReplayQueue,
  ReplayTimeoutError,
  type ReplayExecutor,
  type ExecutorDescription,
  type ReplayResult,
} from '@verilay/workers';
import { servedInput } from './served-data';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

export type Replay =
  | {
      readonly ok: true;
      readonly result: ReplayResult;
      readonly model: Model;
      readonly input: readonly number[];
      readonly salt: bigint;
    }
  | {
      readonly ok: false;
      /** no-data and bad-data: the verifier's answer was unusable (retried by the checker). */
      readonly verdict: 'no-data' | 'bad-data' | 'unregistered' | 'too-costly';
      readonly reason: string;
    };

type Unreplayable = Extract<Replay, { ok: false }>;

interface LoadedModel {
  readonly model: Model;
  /** The canonical bytes as a job carries them, made once: concurrent checks share the string. */
  readonly hex: `0x${string}`;
  /** Their count. */
  readonly size: number;
}

/** Task data the watcher already holds (a disputed claim's input, stored when it was found wrong). */
export interface KnownTask {
  readonly data: readonly number[];
  readonly salt: bigint;
}

/**
 * Replays a claim from the task data the verifier serves, trusting none of it: the model must be
 * registered on chain and hash to the claim's modelId, and the input (with its salt) must hash to
 * the claim's input commitment. Replays run on the GPU or CPU worker threads (VERILAY_EXECUTOR; or,
 * with VERILAY_REDIS_URL, the checks on `verilay worker` processes through Redis) under a time budget
 * (WATCHER_REPLAY_TIMEOUT_MS): one past it is abandoned, its thread replaced, and the claim is
 * never disputed. Replays for disputes have a thread of their own, so checking new batches never
 * delays a move; so do the confirmations of checks that ran elsewhere. Finished replays and
 * decoded models are kept within a number of bytes, and the checks in flight hold at most
 * WATCHER_CHECK_INFLIGHT_MB of model copies together.
 */
@Injectable()
export class ClaimReplayer implements OnApplicationShutdown {
  private readonly logger = new Logger(ClaimReplayer.name);
  private readonly verifier: VerifierClient;
  private readonly checks: ReplayQueue;
  /** Dispute replays, on a CPU thread of their own here. */
  private readonly disputes: ReplayQueue;
  /**
   * When the checks run elsewhere than here on the CPU (remote workers, a GPU), a claim they find
   * wrong is replayed here first, on a CPU thread of its own: a batch of lies (or a Redis writer
   * saying every claim is wrong) queues its confirmations there, never ahead of a dispute's move.
   */
  private readonly confirmations?: ReplayQueue;
  /** Decoded models with the canonical bytes (hex) they were checked from, the jobs' copy. */
  private readonly models: ByteLru<LoadedModel>;
  /** What was learned of each model seen (kept when the model itself is not): its size and input. */
  private readonly known = new ByteLru<{ readonly size: number; readonly elements: number }>(2 ** 20);
  /**
   * Models whose bytes hash to their id but that the loader refuses (past the compute budget, or
   * not decodable): a fact about the registered model, so not fetched and decoded again per claim.
   */
  private readonly unloadable = new ByteLru<Unreplayable>(2 ** 20);
  /** Models being fetched: concurrent fetches of one model wait for one download. */
  private readonly loading = new Map<string, Promise<LoadedModel | Unreplayable>>();
  /** The model copies the checks in flight hold (each job takes its own to its thread, GPU or queue). */
  private readonly inFlight: ByteBudget;
  /** Registry entries never change: a model once seen registered stays registered. */
  private readonly registered = new Set<string>();

  constructor(
    private readonly chain: WatcherChain,
    private readonly config: WatcherConfig,
    private readonly metrics: WatcherMetrics,
  ) {
    this.verifier = new VerifierClient(config.verifierUrl, 15_000);
    // With VERILAY_REDIS_URL the checks go to `verilay worker` processes; with VERILAY_EXECUTOR
    // they may run on the GPU. SAFETY: a worker, or anyone who writes to Redis, may answer
    // anything, and a GPU is another implementation (another vendor's compiler and driver) than
    // the reference CPU kernels the chain's step proofs agree with: what a bond rides on is never
    // theirs to say. Dispute replays (each move follows one, next to an in-process proof that
    // costs far more) run here on the CPU, and a check that finds a claim wrong is replayed here
    // before it counts.
    this.checks = new ReplayQueue(this.checksExecutor(config), { maxBytes: config.replayCacheBytes / 2 });
    const confirm = this.checks.describe().kind !== 'cpu';
    const cpuCache = config.replayCacheBytes / (confirm ? 4 : 2);
    this.disputes = new ReplayQueue(this.cpuThread(config), { maxBytes: cpuCache });
    if (confirm) this.confirmations = new ReplayQueue(this.cpuThread(config), { maxBytes: cpuCache });
    this.models = new ByteLru(config.modelCacheBytes);
    this.inFlight = new ByteBudget(config.checkInflightBytes);
    for (const [queue, d] of Object.entries(this.executors()))
      this.logger.log(`${queue}: ${describeExecutor(d)} (VERILAY_EXECUTOR=${config.executor})`);
  }

  /** The executor of the checks: `verilay worker`s through Redis, or VERILAY_EXECUTOR's here. */
  protected checksExecutor(config: WatcherConfig): ReplayExecutor {
    return createReplayExecutor({
      redisUrl: config.redisUrl,
      threads: config.threads,
      jobTimeoutMs: config.replayTimeoutMs,
      priority: 1,
      executor: config.executor,
    });
  }

  /** One CPU thread here: disputes' replays, or confirmations'. */
  protected cpuThread(config: WatcherConfig): ReplayExecutor {
    return createReplayExecutor({ threads: 1, jobTimeoutMs: config.replayTimeoutMs, executor: 'cpu' });
  }

  /** Claims a checker may replay at once: WATCHER_CHECK_CONCURRENCY, or what the checks' executor runs at once. */
  checkConcurrency(): number {
    // At least four per thread: a check waits on the verifier and the database as much as on its
    // replay (bench/watcher-check.bench.ts).
    return this.config.checkConcurrency ?? Math.max(this.checks.concurrency, 4 * this.config.threads);
  }

  /** What runs each queue's replays (GPU or CPU, its adapter or why not), for /health and metrics. */
  executors(): {
    checks: ExecutorDescription;
    disputes: ExecutorDescription;
    confirmations?: ExecutorDescription;
  } {
    return {
      checks: this.checks.describe(),
      disputes: this.disputes.describe(),
      ...(this.confirmations && { confirmations: this.confirmations.describe() }),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.checks.close(), this.disputes.close(), this.confirmations?.close()]);
  }

  /**
   * Replays `claim` for checking a batch, or (`task` given) for a dispute, on its own thread. A
   * check holds bytes from the budget (WATCHER_CHECK_INFLIGHT_MB) from before the model is fetched
   * to its verdict (`checkBytes`).
   */
  async replay(claimId: string, claim: ClaimFields, task?: KnownTask): Promise<Replay> {
    if (!(await this.isRegistered(claim.modelId)))
      return { ok: false, verdict: 'unregistered', reason: 'the model is not registered on chain' };
    if (task) return this.replayWith(claimId, claim, task);
    return this.inFlight.run(
      () => this.checkBytes(claim.modelId),
      () => this.replayWith(claimId, claim),
    );
  }

  /**
   * What a check of `modelId` holds, asked when it reaches the head of the line: its job's copy of
   * the model (hex, two bytes per byte) and its input (the answer's cap, the parsed values and the
   * job's copy); four more bytes per byte when the model is not cached (its download, hex and
   * decoded form are the check's own); the whole budget for a model never seen (it runs alone, and
   * the checks behind it count what it learned).
   */
  private checkBytes(modelId: string): number {
    const key = modelId.toLowerCase();
    const facts = this.known.get(key);
    if (!facts || this.unloadable.get(key)) return this.inFlight.maxBytes;
    const job = 2 * facts.size + ANSWER_CAPS.input(facts.elements) + 16 * facts.elements;
    return this.models.get(key) ? job : job + 4 * facts.size;
  }

  private async replayWith(claimId: string, claim: ClaimFields, task?: KnownTask): Promise<Replay> {
    // The model comes first, checked against its modelId: its input size bounds the input answer.
    const loaded = await this.model(claim.modelId);
    if ('ok' in loaded) return loaded;
    const { model } = loaded;
    let data: readonly number[];
    let salt: bigint;
    if (task) ({ data, salt } = task);
    else {
      const elements = model.input.shape.reduce((a, b) => a * b, 1);
      const served = await this.fetch(() =>
        this.verifier.getTaskInput(claimId, { maxBytes: ANSWER_CAPS.input(elements) }),
      );
      if (served.failed) return served.failed;
      const input = servedInput(served.value);
      if (typeof input === 'string') return { ok: false, verdict: 'bad-data', reason: input };
      data = input.data;
      salt = input.salt ? BigInt(input.salt) : 0n;
    }
    let result: ReplayResult;
    const job = {
      // Replays are cached by id: keyed by the input too, or a wrong input served once would be
      // the claim's answer for good, however often the right one is served later (finding 6c).
      id: `${claimId}:${createHash('sha256')
        .update(JSON.stringify([data, salt.toString(16)]))
        .digest('hex')}`,
      modelId: claim.modelId,
      modelBytes: loaded.hex,
      input: data,
      salt: `0x${salt.toString(16)}`,
    } as const;
    try {
      result = await (task ? this.disputes : this.checks).submit(job);
      // SAFETY: a remote or GPU "the claim is wrong" would cost a bond if it were wrong: our own
      // CPU replay decides.
      if (!task && this.confirmations && result.outputCommitment !== claim.outputCommitment) {
        result = await this.confirmations.submit(job);
        // Our own CPU's replay: the dispute that follows starts from it instead of replaying again.
        this.disputes.remember(job.id, result);
      }
    } catch (error) {
      if (error instanceof ReplayTimeoutError) return this.tooCostly(claimId, error.shortMessage);
      return { ok: false, verdict: 'bad-data', reason: `the served input does not run: ${String(error)}` };
    }
    // SAFETY: a verifier (or anyone between) could serve other data than the operator committed to;
    // disputing on that basis would lose the bond. Only data matching the commitment is used.
    if (result.inputCommitment !== claim.inputCommitment)
      return {
        ok: false,
        verdict: 'bad-data',
        reason: 'the served input does not match the input commitment',
      };
    return { ok: true, result, model, input: data, salt };
  }

  /**
   * The model of `modelId`, from the cache or fetched from the verifier and checked; concurrent
   * replays of a model not yet here share one download (a batch of one model's claims would
   * otherwise fetch it once per claim in flight).
   */
  private async model(modelId: string): Promise<LoadedModel | Unreplayable> {
    const key = modelId.toLowerCase();
    const cached = this.models.get(key) ?? this.unloadable.get(key);
    if (cached) return cached;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.fetch(() =>
        this.verifier.getModelBytes(modelId, { maxBytes: ANSWER_CAPS.modelBytes(this.config.modelMaxBytes) }),
      )
        .then((served) => served.failed ?? this.load(modelId, served.value))
        .finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  /**
   * One read from the verifier. Whatever goes wrong is the verifier's answer, never an exception:
   * a 404, an error or no answer is `no-data`; an answer too large or not JSON is `bad-data`. The
   * checker retries both until the posting's window closes (finding 6c).
   */
  private async fetch<T>(
    read: () => Promise<T>,
  ): Promise<{ value: T; failed?: never } | { failed: Unreplayable }> {
    try {
      return { value: await read() };
    } catch (error) {
      const bad = error instanceof ResponseTooLargeError || error instanceof MalformedResponseError;
      return { failed: { ok: false, verdict: bad ? 'bad-data' : 'no-data', reason: errorMessage(error) } };
    }
  }

  private tooCostly(id: string, reason: string): Unreplayable {
    this.metrics.replaysAbandoned.inc();
    this.logger.warn({ msg: 'replay abandoned: past the budget (never disputed)', id, reason });
    return { ok: false, verdict: 'too-costly', reason };
  }

  private async isRegistered(modelId: string): Promise<boolean> {
    const key = modelId.toLowerCase();
    if (this.registered.has(key)) return true;
    const registered = await this.chain.clients.public.readContract({
      address: this.chain.deployment.registry,
      abi: modelRegistryAbi,
      functionName: 'isRegistered',
      args: [key as `0x${string}`],
    });
    if (registered) this.registered.add(key);
    return registered;
  }

  /**
   * Loads a model from the canonical bytes the verifier served, or says why it cannot be replayed.
   * The bytes are checked against the modelId (keccak256) before they are decoded, so a verifier
   * serving anything else never reaches the decoder.
   */
  private load(modelId: string, bytes: Buffer): LoadedModel | Unreplayable {
    if (modelIdOfBytes(bytes) !== modelId.toLowerCase()) {
      this.logger.error({ msg: 'verifier served a model that is not the claimed one', modelId });
      return { ok: false, verdict: 'bad-data', reason: 'the served model does not hash to the modelId' };
    }
    let model: Model;
    try {
      // The loader refuses a model past the compute budget (libs/inference) before any replay.
      model = decodeModel(bytes);
    } catch (error) {
      const refused: Unreplayable =
        error instanceof ComputeBudgetExceededError
          ? this.tooCostly(modelId, error.shortMessage)
          : {
              ok: false,
              verdict: 'bad-data',
              reason: `the served model does not load: ${errorMessage(error)}`,
            };
      this.unloadable.set(modelId.toLowerCase(), refused, 256 + 2 * refused.reason.length);
      return refused;
    }
    const elements = model.input.shape.reduce((a, b) => a * b, 1);
    this.known.set(modelId.toLowerCase(), { size: bytes.length, elements }, 160);
    const loaded = { model, hex: `0x${bytes.toString('hex')}` as const, size: bytes.length };
    // Its hex string (two bytes per byte) and the decoded model (about one per byte).
    this.models.set(modelId.toLowerCase(), loaded, 3 * bytes.length);
    return loaded;
  }
}
