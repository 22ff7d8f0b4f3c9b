import type { INestApplication } from '@nestjs/common';
import { buildClaim, devApiKeyFile, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, type ClaimSubmission } from '@verilay/protocol';
import { createPostgresDatabase } from '@verilay/storage';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateKeyAccount } from 'viem/accounts';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from './config/verifier.config';
import { createVerifierApp } from './verifier-app';

/** Anvil's dev accounts 2 and 3: an operator and another. */
export const OPERATOR = privateKeyToAccount(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
);
export const OTHER_OPERATOR = privateKeyToAccount(
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
);
const DOMAIN = claimDomain(31337, '0x0000000000000000000000000000000000000000');

/**
 * An in-process verifier (no chain) on a fresh sqlite file, or a fresh Postgres database on
 * VERILAY_TEST_POSTGRES_URL's server (`postgres: true`), with one small model registered.
 */
export interface TestVerifier {
  readonly app: INestApplication;
  readonly url: string;
  readonly model: Model;
  /** A client with the admin key (the given one, or the development key the verifier minted). */
  readonly client: VerifierClient;
  /** Its Postgres database (`postgres: true`), else undefined: it is on a sqlite file. */
  readonly databaseUrl?: string;
  /** The honest claim of task `n` (the same n, the same claim), signed by `account`. */
  build(n: number, account?: PrivateKeyAccount): Promise<ClaimSubmission>;
  /** Submits one honest claim of a new task, signed by `account`; returns its id. */
  submit(account?: PrivateKeyAccount): Promise<string>;
  close(): Promise<void>;
}

let committer: Promise<TensorCommitter> | undefined;

export async function startTestVerifier(
  env: Record<string, string>,
  options: {
    apiKey?: string;
    seed?: number;
    name?: string;
    /** A fresh Postgres database (dropped on close)... */
    postgres?: boolean;
    /** ...or this one, shared with another verifier (a replica; left in place on close). */
    databaseUrl?: string;
    /** `submit` numbers its tasks from here (replicas on one database: give each its own range). */
    firstTask?: number;
  } = {},
): Promise<TestVerifier> {
  const dir = mkdtempSync(join(tmpdir(), 'verilay-test-verifier-'));
  const db = join(dir, 'verifier.sqlite');
  const server = process.env.VERILAY_TEST_POSTGRES_URL;
  if (options.postgres && !server)
    throw new Error('VERILAY_TEST_POSTGRES_URL is unset (bash scripts/services.sh start)');
  const postgres = options.postgres ? await createPostgresDatabase(server!) : null;
  const app = await createVerifierApp(
    loadVerifierConfig({
      VERIFIER_DB: db,
      VERIFIER_CHAIN: 'off',
      ...(postgres || options.databaseUrl
        ? { VERIFIER_DATABASE_URL: postgres?.url ?? options.databaseUrl! }
        : {}),
      ...env,
    }),
    {
      logger: false,
    },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const apiKey = options.apiKey ?? readFileSync(devApiKeyFile(db), 'utf8').trim();
  const client = new VerifierClient(url, { apiKey });
  const model = randomModel({
    seed: options.seed ?? 21,
    kind: 'mlp',
    sizes: [8, 4],
    argmax: true,
    name: options.name,
  });
  await client.registerModel(modelToJson(model));
  committer ??= createTensorCommitter();
  let task = options.firstTask ?? 0;
  const build = async (n: number, account = OPERATOR) =>
    buildClaim({
      model,
      input: randomInput(model, n),
      taskId: toHex32(BigInt(n)),
      account,
      domain: DOMAIN,
      committer: await committer!,
    });
  return {
    app,
    url,
    model,
    client,
    build,
    async submit(account = OPERATOR) {
      return (await client.submitClaims([await build(++task, account)])).claims[0].claimId;
    },
    databaseUrl: postgres?.url ?? options.databaseUrl,
    async close() {
      await app.close();
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
