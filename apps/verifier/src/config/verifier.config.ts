import { NATIVE_MODES, type NativeMode } from '@verilay/native';
import { EXECUTOR_KINDS, type ExecutorKind } from '@verilay/workers';
import { checkPostgresUrl } from '@verilay/storage';
import Joi from 'joi';
import { hostname } from 'node:os';
import { parseApiKeys, type ApiKeyEntry } from '../http/api-keys';

/** The verifier's typed configuration; code reads this, never process.env. */
export class VerifierConfig {
  readonly port!: number;
  readonly host!: string;
  /** sqlite file (created with its schema when missing). */
  readonly dbPath!: string;
  /** VERIFIER_DATABASE_URL: a Postgres database instead of the sqlite file (replicas share it). */
  readonly databaseUrl?: string;
  /** This replica's name in logs, /health and metrics (VERIFIER_REPLICA_ID; default host:pid). */
  readonly replicaId!: string;
  /** How often a replica tries to become the leader, and the leader checks it still is. */
  readonly leaderPollMs!: number;
  readonly challengeWindowMs!: number;
  readonly batchIntervalMs!: number;
  readonly batchMaxClaims!: number;
  readonly maxClaimsPerRequest!: number;
  readonly maxValuesPerRequest!: number;
  readonly bodyLimit!: string;
  /** Largest model in canonical bytes (`POST /v1/models` as application/vnd.verilay.model). */
  readonly modelBodyLimit!: string;
  readonly chainId!: number;
  readonly claimsContract!: `0x${string}`;
  readonly logFormat!: 'text' | 'json';
  /** Circuit build cache for validity proofs (VERILAY_CACHE_DIR; default: .verilay/cache). */
  readonly zkCacheDir?: string;
  /**
   * embedded: start a local anvil and deploy the contracts (no CHAIN_RPC_URL set); rpc: use
   * CHAIN_RPC_URL and the deployed contracts; off: no chain, windows are kept in the database.
   */
  readonly chainMode!: 'embedded' | 'rpc' | 'off';
  readonly chainRpcUrl?: string;
  readonly registryContract?: `0x${string}`;
  readonly deployBlock!: number;
  /** The sequencer's key (posts batches, defends claims). Embedded default: anvil dev account 1. */
  readonly sequencerKey?: `0x${string}`;
  /**
   * The model registry's owner key (VERILAY_REGISTRAR_KEY): with it the verifier builds and sets
   * the verifier of a lazily registered step circuit as soon as a dispute needs it (any claim's
   * dispute). Embedded default: anvil dev account 0, the deployer; unset on an RPC chain: off.
   */
  readonly registrarKey?: `0x${string}`;
  /** Embedded chain: port and the file anvil keeps its state in (default: <db>.anvil.json). */
  readonly anvilPort!: number;
  readonly anvilStateFile!: string;
  /** Embedded deployment: seconds each side of a dispute has on its clock. */
  readonly disputeClockS!: number;
  /**
   * Keys of the admin endpoints (VERIFIER_API_KEYS). Empty off an RPC chain: a development key is
   * minted at boot (see dev-api-key.ts); empty on an RPC chain: the admin endpoints refuse all.
   */
  readonly apiKeys!: readonly ApiKeyEntry[];
  /** Requests per minute from one client address to one route. */
  readonly rateLimit!: number;
  /** Requests per minute from one client address to one admin route (models, proofs). */
  readonly adminRateLimit!: number;
  /** Proof jobs queued or proving at once; one more is refused with 503 PROOF_QUEUE_FULL. */
  readonly maxOpenProofs!: number;
  /** VERILAY_NATIVE: which implementation the native core's ports run (docs/native.md). */
  readonly native!: NativeMode;
  /** VERILAY_EXECUTOR: where in-process replays run, auto (default), gpu or cpu (docs/gpu.md). */
  readonly executor!: ExecutorKind;
  /** VERILAY_REDIS_URL: the defender's replays go to `verilay worker` processes (docs/scale-out.md). */
  readonly redisUrl?: string;
  /** Webhook deliveries and the event stream (docs/verifier-api.md, "Events and webhooks"). */
  readonly webhooks!: WebhookSettings;
}

export interface WebhookSettings {
  /** Subscriptions may name private, loopback and link-local addresses (off: no SSRF). */
  readonly allowPrivate: boolean;
  /** One attempt's time limit (connect, answer and body). */
  readonly timeoutMs: number;
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** Backoff: the n-th retry waits base·2^(n-1), at most max, ±20% jitter. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Attempts in flight at once, in all and to one subscription. */
  readonly concurrency: number;
  readonly perSubscription: number;
  /** How often the outbox is read for new events (stream and fan-out). */
  readonly pollMs: number;
  /** Open `GET /v1/events` streams; one more is refused with 503 EVENT_STREAMS_BUSY. */
  readonly maxStreams: number;
  /** Of those, how many one client address may hold (one client cannot lock the others out). */
  readonly maxStreamsPerClient: number;
}

const DAY = 24 * 3600 * 1000;

/** Where the embedded chain's deployment is remembered: beside its state file (`<state>.deployment.json`). */
export const embeddedDeploymentFile = (stateFile: string): string => `${stateFile}.deployment.json`;

/** Bounds keep a typo from making a window of 0 s or a batch of a million claims. */
export const VERIFIER_ENV_SCHEMA = Joi.object({
  VERIFIER_PORT: Joi.number().port().default(8080),
  VERIFIER_HOST: Joi.string().hostname().default('127.0.0.1'),
  VERIFIER_DB: Joi.string().min(1).default('verilay-verifier.sqlite'),
  VERIFIER_DATABASE_URL: Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .custom((url: string) => checkPostgresUrl(url)),
  VERIFIER_REPLICA_ID: Joi.string()
    .pattern(/^[\w.:@-]{1,64}$/)
    .default(`${hostname()}:${process.pid}`),
  VERIFIER_LEADER_POLL_MS: Joi.number().integer().min(100).max(60_000).default(1000),
  VERIFIER_CHALLENGE_WINDOW_MS: Joi.number()
    .integer()
    .min(1000)
    .max(30 * DAY)
    .default(3600 * 1000),
  VERIFIER_BATCH_INTERVAL_MS: Joi.number()
    .integer()
    .min(50)
    .max(3600 * 1000)
    .default(1000),
  VERIFIER_BATCH_MAX_CLAIMS: Joi.number().integer().min(1).max(10000).default(1000),
  VERIFIER_MAX_CLAIMS_PER_REQUEST: Joi.number().integer().min(1).max(10000).default(1000),
  // Bounds the Poseidon work one request can demand before it is refused (~1 s per 2^19 values here).
  VERIFIER_MAX_VALUES_PER_REQUEST: Joi.number()
    .integer()
    .min(1)
    .max(1 << 22)
    .default(1 << 18),
  VERIFIER_BODY_LIMIT: Joi.string()
    .pattern(/^\d+(b|kb|mb)$/i)
    .default('4mb'),
  VERIFIER_MODEL_BODY_LIMIT: Joi.string()
    .pattern(/^\d+(b|kb|mb)$/i)
    .default('256mb'),
  VERILAY_CHAIN_ID: Joi.number().integer().min(1).default(31337),
  VERILAY_CLAIMS_CONTRACT: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{40}$/)
    .default('0x0000000000000000000000000000000000000000'),
  VERIFIER_LOG_FORMAT: Joi.string().valid('text', 'json').default('text'),
  VERILAY_CACHE_DIR: Joi.string().min(1),
  VERIFIER_CHAIN: Joi.string().valid('auto', 'off').default('auto'),
  CHAIN_RPC_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  VERILAY_REGISTRY_CONTRACT: Joi.string().pattern(/^0x[0-9a-fA-F]{40}$/),
  CHAIN_DEPLOY_BLOCK: Joi.number().integer().min(0).default(0),
  VERIFIER_SEQUENCER_KEY: Joi.string().pattern(/^0x[0-9a-fA-F]{64}$/),
  VERILAY_REGISTRAR_KEY: Joi.string().pattern(/^0x[0-9a-fA-F]{64}$/),
  VERIFIER_ANVIL_PORT: Joi.number().port().default(8545),
  VERIFIER_ANVIL_STATE: Joi.string().min(1),
  VERIFIER_DISPUTE_CLOCK_S: Joi.number()
    .integer()
    .min(10)
    .max(7 * 86400)
    .default(1800),
  VERIFIER_API_KEYS: Joi.string().allow('').default(''),
  VERIFIER_RATE_LIMIT: Joi.number().integer().min(1).max(1_000_000).default(6000),
  VERIFIER_ADMIN_RATE_LIMIT: Joi.number().integer().min(1).max(1_000_000).default(60),
  VERIFIER_MAX_OPEN_PROOFS: Joi.number().integer().min(1).max(1000).default(8),
  VERIFIER_WEBHOOK_ALLOW_PRIVATE: Joi.boolean().default(false),
  VERIFIER_WEBHOOK_TIMEOUT_MS: Joi.number().integer().min(100).max(60_000).default(5000),
  VERIFIER_WEBHOOK_MAX_ATTEMPTS: Joi.number().integer().min(1).max(50).default(12),
  VERIFIER_WEBHOOK_RETRY_BASE_MS: Joi.number().integer().min(10).max(3_600_000).default(2000),
  VERIFIER_WEBHOOK_RETRY_MAX_MS: Joi.number().integer().min(10).max(DAY).default(3_600_000),
  VERIFIER_WEBHOOK_CONCURRENCY: Joi.number().integer().min(1).max(256).default(16),
  VERIFIER_EVENT_POLL_MS: Joi.number().integer().min(10).max(60_000).default(250),
  VERIFIER_EVENT_STREAMS_MAX: Joi.number().integer().min(1).max(10_000).default(100),
  VERIFIER_EVENT_STREAMS_PER_CLIENT: Joi.number().integer().min(1).max(10_000).default(10),
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
})
  .unknown(true)
  // With an RPC URL the contracts and the sequencer key must be given: nothing is deployed for you.
  .when(Joi.object({ CHAIN_RPC_URL: Joi.exist(), VERIFIER_CHAIN: Joi.valid('auto') }).unknown(), {
    then: Joi.object({
      VERILAY_CLAIMS_CONTRACT: Joi.required(),
      VERILAY_REGISTRY_CONTRACT: Joi.required(),
      VERIFIER_SEQUENCER_KEY: Joi.required(),
    }),
  });

/** Validates the environment; a bad value throws an error naming the variable. */
export function loadVerifierConfig(env: Record<string, string | undefined>): VerifierConfig {
  const { error, value } = VERIFIER_ENV_SCHEMA.validate(env, { abortEarly: false, convert: true });
  if (error)
    throw new Error(`Invalid verifier configuration: ${error.details.map((d) => d.message).join('; ')}`);
  let apiKeys: ApiKeyEntry[];
  try {
    apiKeys = parseApiKeys(value.VERIFIER_API_KEYS);
  } catch (e) {
    throw new Error(`Invalid verifier configuration: ${(e as Error).message}`);
  }
  return Object.assign(new VerifierConfig(), {
    port: value.VERIFIER_PORT,
    host: value.VERIFIER_HOST,
    dbPath: value.VERIFIER_DB,
    databaseUrl: value.VERIFIER_DATABASE_URL,
    replicaId: value.VERIFIER_REPLICA_ID,
    leaderPollMs: value.VERIFIER_LEADER_POLL_MS,
    challengeWindowMs: value.VERIFIER_CHALLENGE_WINDOW_MS,
    batchIntervalMs: value.VERIFIER_BATCH_INTERVAL_MS,
    batchMaxClaims: value.VERIFIER_BATCH_MAX_CLAIMS,
    maxClaimsPerRequest: value.VERIFIER_MAX_CLAIMS_PER_REQUEST,
    maxValuesPerRequest: value.VERIFIER_MAX_VALUES_PER_REQUEST,
    bodyLimit: value.VERIFIER_BODY_LIMIT,
    modelBodyLimit: value.VERIFIER_MODEL_BODY_LIMIT,
    chainId: value.VERILAY_CHAIN_ID,
    claimsContract: value.VERILAY_CLAIMS_CONTRACT.toLowerCase(),
    logFormat: value.VERIFIER_LOG_FORMAT,
    zkCacheDir: value.VERILAY_CACHE_DIR,
    chainMode: value.VERIFIER_CHAIN === 'off' ? 'off' : value.CHAIN_RPC_URL ? 'rpc' : 'embedded',
    chainRpcUrl: value.CHAIN_RPC_URL,
    registryContract: value.VERILAY_REGISTRY_CONTRACT?.toLowerCase(),
    deployBlock: value.CHAIN_DEPLOY_BLOCK,
    sequencerKey: value.VERIFIER_SEQUENCER_KEY,
    registrarKey: value.VERILAY_REGISTRAR_KEY,
    anvilPort: value.VERIFIER_ANVIL_PORT,
    anvilStateFile: value.VERIFIER_ANVIL_STATE ?? `${value.VERIFIER_DB}.anvil.json`,
    disputeClockS: value.VERIFIER_DISPUTE_CLOCK_S,
    apiKeys,
    rateLimit: value.VERIFIER_RATE_LIMIT,
    adminRateLimit: value.VERIFIER_ADMIN_RATE_LIMIT,
    maxOpenProofs: value.VERIFIER_MAX_OPEN_PROOFS,
    native: value.VERILAY_NATIVE,
    executor: value.VERILAY_EXECUTOR,
    redisUrl: value.VERILAY_REDIS_URL,
    webhooks: {
      allowPrivate: value.VERIFIER_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: value.VERIFIER_WEBHOOK_TIMEOUT_MS,
      maxAttempts: value.VERIFIER_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: value.VERIFIER_WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: value.VERIFIER_WEBHOOK_RETRY_MAX_MS,
      concurrency: value.VERIFIER_WEBHOOK_CONCURRENCY,
      perSubscription: 2,
      pollMs: value.VERIFIER_EVENT_POLL_MS,
      maxStreams: value.VERIFIER_EVENT_STREAMS_MAX,
      maxStreamsPerClient: value.VERIFIER_EVENT_STREAMS_PER_CLIENT,
    },
  });
}
