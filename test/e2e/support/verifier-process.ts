import { VerifierClient } from '@verilay/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../../..');

/** A verifier started from the build (dist/), as users run it: `npm run start:verifier`. */
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
    child.stdout?.on('data', (d) => (this.logs += d));
    child.stderr?.on('data', (d) => (this.logs += d));
  }

  static async start(env: Record<string, string>, port?: number): Promise<VerifierProcess> {
    const p = port ?? (await freePort());
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/verifier/src/main.js')], {
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
