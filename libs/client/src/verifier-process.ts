import type { ChildProcess } from 'node:child_process';
import { AppProcess, freePort } from './app-process';
import { VerifierClient } from './verifier-client';

/** A verifier running as its own process (what `npm run start:verifier` runs). */
export class VerifierProcess extends AppProcess {
  readonly client: VerifierClient;

  private constructor(child: ChildProcess, port: number) {
    super('verifier', child, port);
    this.client = new VerifierClient(this.url);
  }

  /** Starts `entry` (dist/apps/verifier/src/main.js) with `env` and waits until /health is ok. */
  static async start(entry: string, env: Record<string, string>, port?: number): Promise<VerifierProcess> {
    const p = port ?? (await freePort());
    const child = AppProcess.spawnApp(entry, { VERIFIER_LOG_FORMAT: 'json', ...env }, 'VERIFIER_PORT', p);
    const verifier = new VerifierProcess(child, p);
    await verifier.waitUntil(async () => (await verifier.client.health()).status === 'ok');
    return verifier;
  }
}
