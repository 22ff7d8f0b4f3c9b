import type { ChildProcess } from 'node:child_process';
import { AppProcess, freePort } from './app-process';
import type { ExecutorDescription } from '@verilay/workers';

export interface WatcherHealth {
  readonly status: 'ok' | 'starting';
  readonly challenger: `0x${string}`;
  readonly nextBlock: string;
  readonly openDisputes: number;
  /** What runs each queue's replays: gpu (its adapter), cpu (why not the GPU), remote (Redis workers). */
  readonly executors: {
    readonly checks: ExecutorDescription;
    readonly disputes: ExecutorDescription;
    /** Present when the checks run on a GPU or remote workers: where a lie they report is confirmed. */
    readonly confirmations?: ExecutorDescription;
  };
}

/** A watcher running as its own process (what `npm run start:watcher` runs). */
export class WatcherProcess extends AppProcess {
  private constructor(child: ChildProcess, port: number) {
    super('watcher', child, port);
  }

  /** Starts `entry` (dist/apps/watcher/src/main.js) with `env` and waits until a first pass ran. */
  static async start(entry: string, env: Record<string, string>, port?: number): Promise<WatcherProcess> {
    const p = port ?? (await freePort());
    const child = AppProcess.spawnApp(entry, { WATCHER_LOG_FORMAT: 'json', ...env }, 'WATCHER_PORT', p);
    const watcher = new WatcherProcess(child, p);
    await watcher.waitUntil(async () => (await watcher.health()).status === 'ok', 60_000);
    return watcher;
  }

  async health(): Promise<WatcherHealth> {
    const res = await fetch(`${this.url}/health`);
    return (await res.json()) as WatcherHealth;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }
}
