import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { devApiKeyFile } from './api-key';
import { AppProcess, freePort } from './app-process';
import { VerifierClient } from './verifier-client';

/** A verifier running as its own process (what `npm run start:verifier` runs). */
export class VerifierProcess extends AppProcess {
  /** A client of the verifier, with an API key for the admin endpoints: `apiKey` given, or the development key the verifier minted. */
  client: VerifierClient;

  private constructor(child: ChildProcess, port: number) {
    super('verifier', child, port);
    this.client = new VerifierClient(this.url);
  }

  /**
   * Starts `entry` (dist/apps/verifier/src/main.js) with `env` and waits until /health is ok. The
   * client carries `apiKey`, or else the development key a verifier without VERIFIER_API_KEYS
   * writes beside its database.
   */
  static async start(
    entry: string,
    env: Record<string, string>,
    port?: number,
    apiKey?: string,
  ): Promise<VerifierProcess> {
    const p = port ?? (await freePort());
    const child = AppProcess.spawnApp(entry, { VERIFIER_LOG_FORMAT: 'json', ...env }, 'VERIFIER_PORT', p);
    const verifier = new VerifierProcess(child, p);
    await verifier.waitUntil(async () => (await verifier.client.health()).status === 'ok');
    const devKey = env.VERIFIER_DB && devApiKeyFile(env.VERIFIER_DB);
    const key = apiKey ?? (devKey && existsSync(devKey) ? readFileSync(devKey, 'utf8').trim() : undefined);
    verifier.client = new VerifierClient(verifier.url, { apiKey: key });
    return verifier;
  }
}
