import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * One of verilay's apps running as its own process from its compiled entry: for the demo, the
 * end-to-end tests and the benchmarks. Keeps the tail of its output; starts once /health is ok.
 */
export class AppProcess {
  readonly url: string;
  private logs = '';

  protected constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    const keep = (d: Buffer) => (this.logs = (this.logs + d.toString()).slice(-65_536)); // the tail, bounded
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Spawns `entry` with `env` (the port variable set to `port`). */
  protected static spawnApp(entry: string, env: Record<string, string>, portVariable: string, port: number) {
    return spawn(process.execPath, [entry], {
      env: { ...process.env, [portVariable]: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Waits until `healthy()` says so, failing with the app's output if it exits or takes too long. */
  protected async waitUntil(healthy: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.child.exitCode !== null)
        throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.logs}`);
      try {
        if (await healthy()) return;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs / 1000} s:\n${this.logs}`);
  }

  /** Everything the process wrote so far (JSON log lines). */
  output(): string {
    return this.logs;
  }

  /** SIGKILL: no shutdown hooks, no flushing; what was committed is all that survives. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
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
