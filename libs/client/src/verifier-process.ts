import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { VerifierClient } from './verifier-client';

/**
 * A verifier running as its own process, started from its compiled entry (what
 * `npm run start:verifier` runs): for the demo, the end-to-end tests and the benchmarks.
 */
export class VerifierProcess {
  readonly client: VerifierClient;
  readonly url: string;
  private logs = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.client = new VerifierClient(this.url);
    const keep = (d: Buffer) => (this.logs = (this.logs + d.toString()).slice(-65_536)); // the tail, bounded
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts `entry` (dist/apps/verifier/src/main.js) with `env` and waits until /health is ok. */
  static async start(entry: string, env: Record<string, string>, port?: number): Promise<VerifierProcess> {
    const p = port ?? (await freePort());
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, VERIFIER_PORT: String(p), VERIFIER_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const verifier = new VerifierProcess(child, p);
    await verifier.waitHealthy();
    return verifier;
  }

  private async waitHealthy() {
    for (let i = 0; i < 200; i++) {
      if (this.child.exitCode !== null)
        throw new Error(`verifier exited (${this.child.exitCode}):\n${this.logs}`);
      try {
        if ((await this.client.health()).status === 'ok') return;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    throw new Error(`verifier not healthy after 20 s:\n${this.logs}`);
  }

  /** Everything the process wrote so far (JSON log lines). */
  output(): string {
    return this.logs;
  }

  /** SIGKILL: no shutdown hooks, no flushing; what was committed is all that survives. */
  async kill(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
    server.on('error', rej);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
