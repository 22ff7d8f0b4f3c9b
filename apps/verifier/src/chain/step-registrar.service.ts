import { errorMessage } from '@verilay/errors';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  checkLazyStep,
  createChainClients,
  deployStepVerifier,
  devPrivateKey,
  LazyStepRefusedError,
  readDispute,
  readEventRanges,
  readStepCircuit,
  type ChainClients,
} from '@verilay/chain';
import { buildCircuit, CeremonyTooSmallError, releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { Counter } from 'prom-client';
import { VerifierConfig } from '../config/verifier.config';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import { Leadership } from '../cluster/leadership';
import { ChainContext } from './chain-context';

/** The embedded chain's deployer (dev account 0) owns its registry, as `--dev-registrar` says. */
const DEV_REGISTRAR_INDEX = 0;
/** A failed build is retried after 5 s, doubling up to 5 minutes. */
const RETRY_MS = [5_000, 300_000] as const;

/**
 * The registrar's side of lazily registered step circuits (docs/contracts.md, "Step circuits at
 * LLM scale"). With the registry owner's key (VERILAY_REGISTRAR_KEY; the deployer on the embedded
 * chain) it follows every bisection dispute on the claim contract, whoever's claim it is, and as
 * soon as one narrows to a single step (hi = lo + 1) whose circuit is registered without a
 * verifier, builds that circuit (reproducibly, in the shared build cache), deploys its verifier and
 * sets it (`setStepVerifier`). Until then the dispute waits with no clock running, so this is the
 * registrar's liveness (docs/security.md). One build at a time; a failed build or transaction is
 * logged, counted in verilay_step_circuit_failures_total and retried with a backoff, never dropped.
 * Refusals (not the registrar, a model this verifier does not hold) are logged once and build
 * nothing; a circuit whose verifier is set already is never set again.
 */
@Injectable()
export class StepRegistrar implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(StepRegistrar.name);
  private readonly registrar?: ChainClients;
  /** Bisection disputes seen opened and not seen resolved. */
  private readonly open = new Set<bigint>();
  private cursor: bigint;
  /** Refusals already logged, by `${modelId}:${step}:${reason}`. */
  private readonly reported = new Set<string>();
  /** Failed attempts and when to try again, by `${modelId}:${circuitIndex}`. */
  private readonly backoff = new Map<string, { failures: number; retryAt: number }>();
  private readonly built: Counter;
  private readonly failures: Counter;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly chain: ChainContext,
    private readonly models: ModelsService,
    private readonly config: VerifierConfig,
    metrics: MetricsService,
    private readonly leadership: Leadership,
  ) {
    const key = config.registrarKey ?? (chain.embedded ? devPrivateKey(DEV_REGISTRAR_INDEX) : undefined);
    if (key)
      this.registrar = createChainClients({ rpcUrl: chain.rpcUrl, chainId: chain.deployment.chainId }, key);
    this.cursor = chain.deployment.deployBlock;
    this.built = new Counter({
      name: 'verilay_step_circuits_set_total',
      help: 'Lazily registered step circuits this verifier built and set as registrar',
      registers: [metrics.registry],
    });
    this.failures = new Counter({
      name: 'verilay_step_circuit_failures_total',
      help: 'Lazy step circuits not set: build or transaction failed (retried), refused (not-registrar, model-unknown, no-step-circuit, too-big); a dispute waits meanwhile: alert on any increase',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
  }

  /** The registrar's account, when this verifier has the key. */
  get account(): `0x${string}` | undefined {
    return this.registrar?.account.address;
  }

  onApplicationBootstrap(): void {
    if (!this.registrar) {
      this.logger.log({
        msg: 'step registrar off: no VERILAY_REGISTRAR_KEY (lazy step circuits are built elsewhere)',
      });
      return;
    }
    this.logger.log({ msg: 'step registrar on', account: this.registrar.account.address });
    this.timer = setInterval(() => void this.tick(), this.config.batchIntervalMs);
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await releaseProverThreads();
  }

  /** One pass; never overlaps itself (so one build at a time). Failures are logged and retried. */
  tick(): Promise<void> {
    if (!this.registrar) return Promise.resolve();
    this.running ??= this.pass()
      .catch((e: unknown) => this.logger.error({ msg: 'step registrar pass failed', error: errorMessage(e) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    if (!this.leadership.isLeader) return;
    const registrar = this.registrar!;
    const { deployment } = this.chain;
    const head = await registrar.public.getBlockNumber({ cacheTime: 0 });
    this.cursor = await readEventRanges(
      registrar,
      deployment,
      { from: this.cursor, to: head, stopped: () => this.stopped },
      async (events) => {
        for (const event of events) {
          if (event.eventName === 'DisputeOpened') this.open.add(event.args.disputeId!);
          else if (event.eventName === 'DisputeResolved') this.open.delete(event.args.disputeId!);
        }
      },
    );
    for (const id of this.open) {
      if (this.stopped) return;
      const d = await readDispute(registrar, deployment, id);
      if (d.phaseName === 'resolved' || !d.bisection) {
        this.open.delete(id);
        continue;
      }
      if (d.hi === d.lo + 1) await this.provide(id, d.modelId, d.lo);
    }
  }

  /** Builds and sets the verifier of step `step`'s circuit if it is lazy and still unset. */
  private async provide(disputeId: bigint, modelId: `0x${string}`, step: number): Promise<void> {
    const registrar = this.registrar!;
    const { deployment } = this.chain;
    const circuit = await readStepCircuit(registrar, deployment, modelId, step);
    if (!circuit || circuit.verifier) return; // not a step circuit, or set already: nothing to do
    const key = `${modelId}:${circuit.circuitIndex}`;
    const wait = this.backoff.get(key);
    if (wait && Date.now() < wait.retryAt) return;
    const context = { disputeId: disputeId.toString(), modelId, step, circuitIndex: circuit.circuitIndex };

    let circuitIndex: number;
    try {
      // SAFETY: every refusal is found before the build and before any transaction: a key that
      // is not the registry owner's never sends one (the contract would revert it anyway).
      ({ circuitIndex } = await checkLazyStep(registrar, deployment, modelId, step));
    } catch (e) {
      if (e instanceof LazyStepRefusedError && e.reason === 'already-set') return;
      if (e instanceof LazyStepRefusedError) return this.refuse(context, e.reason, e.shortMessage);
      throw e;
    }
    const model = await this.models.find(modelId);
    if (!model)
      return this.refuse(
        context,
        'model-unknown',
        `this verifier does not hold model ${modelId}, so it cannot build its step circuit: register the model here (POST /v1/models) or build it with verilay model build-step`,
      );

    const started = performance.now();
    this.logger.warn({
      msg: 'a dispute needs a lazy step circuit: building it',
      ...context,
      op: model.layers[step].op,
    });
    try {
      const artifacts = await buildCircuit(model, {
        step,
        cacheDir: this.config.zkCacheDir,
        onProgress: (stage, detail) =>
          this.logger.log({ msg: 'step circuit build', ...context, stage, ...(detail ? { detail } : {}) }),
      });
      const buildSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
      // Someone (another registrar process, the CLI) may have set it while we built.
      if ((await readStepCircuit(registrar, deployment, modelId, step))?.verifier) return;
      const set = await deployStepVerifier(
        registrar,
        deployment,
        modelId,
        circuitIndex,
        readFileSync(artifacts.verifierSolPath, 'utf8'),
      );
      this.backoff.delete(key);
      this.built.inc();
      this.logger.log({
        msg: 'step verifier set: the dispute can go on',
        ...context,
        verifier: set.verifier,
        tx: set.tx,
        buildSeconds,
        cacheHit: artifacts.cacheHit,
        constraints: artifacts.constraints,
        vkeySha256: artifacts.vkeySha256,
        gasUsed: Number(set.deployGas + set.setGas),
      });
    } catch (e) {
      // A circuit no development ceremony fits never builds: say so once, do not retry forever
      // (the CLI refuses to register such a model lazily; a direct registerModel call can).
      if (e instanceof CeremonyTooSmallError) return this.refuse(context, 'too-big', e.shortMessage);
      const failures = (wait?.failures ?? 0) + 1;
      const delay = Math.min(RETRY_MS[1], RETRY_MS[0] * 2 ** (failures - 1));
      this.backoff.set(key, { failures, retryAt: Date.now() + delay });
      this.failures.inc({ reason: 'build-failed' });
      this.logger.error({
        msg: 'ALERT: lazy step circuit not set (retried; the dispute waits meanwhile)',
        ...context,
        failures,
        retryInSeconds: delay / 1000,
        error: errorMessage(e),
      });
    }
  }

  /** Logs (once per step and reason) and counts why a step circuit will not be built here. */
  private refuse(context: Record<string, unknown>, reason: string, message: string): void {
    const key = `${context.modelId}:${context.step}:${reason}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.failures.inc({ reason });
    this.logger.error({ msg: `ALERT: lazy step circuit refused: ${message}`, ...context, reason });
  }
}
