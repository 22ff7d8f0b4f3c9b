import { NATIVE_MODES, type NativeMode } from '@verilay/native';
import { EXECUTOR_KINDS, type ExecutorKind } from '@verilay/workers';
import { checkPostgresUrl } from '@verilay/storage';
import Joi from 'joi';

/** The watcher's typed configuration; code reads this, never process.env. */
export class WatcherConfig {
  readonly verifierUrl!: string;
  readonly logFormat!: 'text' | 'json';
  /**
   * The chain and contracts it watches: its own configuration, checked against the chain at boot,
   * never taken from the verifier it polices (issue 11, finding 6).
   */
  readonly rpcUrl!: string;
  readonly chainId!: number;
  readonly claimsContract!: `0x${string}`;
  readonly registryContract!: `0x${string}`;
  readonly deployBlock!: number;
  /** The challenger's key: it sends dispute bonds and moves. */
  readonly key?: `0x${string}`;
  readonly dbPath!: string;
  /** WATCHER_DATABASE_URL: a Postgres database instead of the sqlite file (docs/scale-out.md). */
  readonly databaseUrl?: string;
  /** Most wei the watcher keeps locked in open disputes at once. */
  readonly bondBudget!: bigint;
  /** Share of claims replayed (1: all). */
  readonly sampleRate!: number;
  /** Blocks behind the head it processes (the unsafe tail is re-read and reorgs are rewound). */
  readonly confirmations!: number;
  readonly pollMs!: number;
  readonly port!: number;
  readonly host!: string;
  readonly threads!: number;
  /**
   * Claims of a batch replayed at once (WATCHER_CHECK_CONCURRENCY); unset, what the checks'
   * executor runs at once (the GPU's largest batch), and at least four per thread.
   */
  readonly checkConcurrency?: number;
  /**
   * Bytes of model copies the checks in flight may hold together: each job takes its model's hex
   * (two bytes per canonical byte) to the thread, GPU or queue that runs it. A check of a model not
   * cached, or of one past the budget, runs alone.
   */
  readonly checkInflightBytes!: number;
  /** A replay running longer is abandoned (its thread stopped) and its claim never disputed. */
  readonly replayTimeoutMs!: number;
  /**
   * Bytes of finished replays kept, and of models kept (each bound separately; a model counts
   * three bytes per canonical byte: its hex and its decoded form).
   */
  readonly replayCacheBytes!: number;
  readonly modelCacheBytes!: number;
  /**
   * The largest model the verifier may serve, in canonical bytes (its VERIFIER_MODEL_BODY_LIMIT):
   * a served model past it is refused unread (issue 11, finding 6b).
   */
  readonly modelMaxBytes!: number;
  readonly zkCacheDir?: string;
  /** VERILAY_NATIVE: which implementation the native core's ports run (docs/native.md). */
  readonly native!: NativeMode;
  /** VERILAY_EXECUTOR: where in-process replays run, auto (default), gpu or cpu (docs/gpu.md). */
  readonly executor!: ExecutorKind;
  /** VERILAY_REDIS_URL: replays go to `verilay worker` processes through Redis (docs/scale-out.md). */
  readonly redisUrl?: string;
}

export const WATCHER_ENV_SCHEMA = Joi.object({
  WATCHER_VERIFIER_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .default('http://127.0.0.1:8080'),
  WATCHER_LOG_FORMAT: Joi.string().valid('text', 'json').default('text'),
  WATCHER_RPC_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .required(),
  WATCHER_CHAIN_ID: Joi.number().integer().min(1).required(),
  WATCHER_CLAIMS_CONTRACT: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{40}$/)
    .required(),
  WATCHER_REGISTRY_CONTRACT: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{40}$/)
    .required(),
  WATCHER_DEPLOY_BLOCK: Joi.number().integer().min(0).default(0),
  WATCHER_KEY: Joi.string().pattern(/^0x[0-9a-fA-F]{64}$/),
  WATCHER_DB: Joi.string().min(1).default('verilay-watcher.sqlite'),
  WATCHER_DATABASE_URL: Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .custom((url: string) => checkPostgresUrl(url)),
  WATCHER_BOND_BUDGET: Joi.string().pattern(/^\d+$/).default('1000000000000000000'),
  WATCHER_SAMPLE_RATE: Joi.number().min(0).max(1).default(1),
  WATCHER_CONFIRMATIONS: Joi.number().integer().min(0).max(1000).default(0),
  WATCHER_POLL_MS: Joi.number().integer().min(50).max(600_000).default(1000),
  WATCHER_PORT: Joi.number().port().default(8081),
  WATCHER_HOST: Joi.string().hostname().default('127.0.0.1'),
  WATCHER_THREADS: Joi.number().integer().min(1).max(64).default(2),
  WATCHER_CHECK_CONCURRENCY: Joi.number().integer().min(1).max(256),
  WATCHER_CHECK_INFLIGHT_MB: Joi.number().integer().min(1).max(65_536).default(1024),
  WATCHER_REPLAY_TIMEOUT_MS: Joi.number().integer().min(100).max(3_600_000).default(60_000),
  WATCHER_REPLAY_CACHE_MB: Joi.number().integer().min(1).max(65_536).default(64),
  WATCHER_MODEL_CACHE_MB: Joi.number().integer().min(1).max(65_536).default(512),
  WATCHER_MODEL_MAX_MB: Joi.number().integer().min(1).max(1024).default(256),
  VERILAY_CACHE_DIR: Joi.string().min(1),
  VERILAY_NATIVE: Joi.string()
    .trim()
    .lowercase()
    .valid(...NATIVE_MODES)
    .default('auto'),
  VERILAY_EXECUTOR: Joi.string()
    .trim()
    .lowercase()
    .valid(...EXECUTOR_KINDS)
    .default('auto'),
  VERILAY_REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }),
}).unknown(true);

/** Validates the environment; a bad value throws an error naming the variable. */
export function loadWatcherConfig(env: Record<string, string | undefined>): WatcherConfig {
  const { error, value } = WATCHER_ENV_SCHEMA.validate(env, { abortEarly: false, convert: true });
  if (error)
    throw new Error(`Invalid watcher configuration: ${error.details.map((d) => d.message).join('; ')}`);
  return Object.assign(new WatcherConfig(), {
    verifierUrl: value.WATCHER_VERIFIER_URL,
    logFormat: value.WATCHER_LOG_FORMAT,
    rpcUrl: value.WATCHER_RPC_URL,
    chainId: value.WATCHER_CHAIN_ID,
    claimsContract: value.WATCHER_CLAIMS_CONTRACT,
    registryContract: value.WATCHER_REGISTRY_CONTRACT,
    deployBlock: value.WATCHER_DEPLOY_BLOCK,
    key: value.WATCHER_KEY,
    dbPath: value.WATCHER_DB,
    databaseUrl: value.WATCHER_DATABASE_URL,
    bondBudget: BigInt(value.WATCHER_BOND_BUDGET),
    sampleRate: value.WATCHER_SAMPLE_RATE,
    confirmations: value.WATCHER_CONFIRMATIONS,
    pollMs: value.WATCHER_POLL_MS,
    port: value.WATCHER_PORT,
    host: value.WATCHER_HOST,
    threads: value.WATCHER_THREADS,
    checkConcurrency: value.WATCHER_CHECK_CONCURRENCY,
    checkInflightBytes: value.WATCHER_CHECK_INFLIGHT_MB * 2 ** 20,
    replayTimeoutMs: value.WATCHER_REPLAY_TIMEOUT_MS,
    replayCacheBytes: value.WATCHER_REPLAY_CACHE_MB * 2 ** 20,
    modelCacheBytes: value.WATCHER_MODEL_CACHE_MB * 2 ** 20,
    modelMaxBytes: value.WATCHER_MODEL_MAX_MB * 2 ** 20,
    zkCacheDir: value.VERILAY_CACHE_DIR,
    native: value.VERILAY_NATIVE,
    executor: value.VERILAY_EXECUTOR,
    redisUrl: value.VERILAY_REDIS_URL,
  });
}
