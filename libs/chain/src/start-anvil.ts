import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface AnvilOptions {
  /** Port to listen on; default: a free one. */
  readonly port?: number;
  readonly chainId?: number;
  /** Seconds between blocks; default: a block per transaction (automine). */
  readonly blockTime?: number;
  /** Keep the chain in this file across restarts (anvil --state). */
  readonly stateFile?: string;
}

export interface AnvilInstance {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** The anvil binary of foundry's per-platform npm package (@foundry-rs/anvil-<os>-<arch>). */
export function anvilBinary(): string {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'];
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform as 'linux'];
  if (!arch || !os) throw new Error(`anvil has no build for ${process.platform}-${process.arch}`);
  const name = `@foundry-rs/anvil-${os}-${arch}`;
  let pkg: string;
  try {
    pkg = require.resolve(`${name}/package.json`);
  } catch (error) {
    // package.json lists only the linux-amd64 build (the only one this project's registry has).
    throw new Error(`anvil is not installed for this platform: npm install --no-save ${name}`, {
      cause: error,
    });
  }
  return join(dirname(pkg), 'bin', os === 'win32' ? 'anvil.exe' : 'anvil');
}

/**
 * Starts a local anvil chain (the embedded default chain and the tests' chain) and waits until it
 * answers JSON-RPC. Its accounts are the well-known development accounts (`devAccount`).
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  // A free port is found, released, then bound by anvil: another process can take it in between,
  // and then our anvil fails to bind while the other one answers our RPC calls (seen once: a spec
  // read another spec's chain). So a fresh chain is told a genesis timestamp of its own and checked
  // to have it; on a mismatch it is stopped and started again on another port.
  for (let attempt = 1; ; attempt++) {
    const genesis = options.stateFile ? undefined : Math.floor(Date.now() / 1000) - 1 - randomInt(3600);
    const instance = await startAnvilOnce(options, genesis);
    if (genesis === undefined || (await genesisTimestamp(instance.rpcUrl)) === genesis) return instance;
    await instance.stop();
    if (options.port !== undefined || attempt >= 5)
      throw new Error(`another process answers at ${instance.rpcUrl}: anvil could not take the port`);
  }
}

async function genesisTimestamp(rpcUrl: string): Promise<number> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0x0', false] }),
  });
  const { result } = (await res.json()) as { result?: { timestamp?: string } };
  return Number(result?.timestamp ?? -1);
}

async function startAnvilOnce(options: AnvilOptions, genesis: number | undefined): Promise<AnvilInstance> {
  const port = options.port ?? (await freeLocalPort());
  const chainId = options.chainId ?? 31337;
  const args = ['--port', String(port), '--host', '127.0.0.1', '--chain-id', String(chainId), '--silent'];
  if (genesis !== undefined) args.push('--timestamp', String(genesis));
  if (options.blockTime) args.push('--block-time', String(options.blockTime));
  // --state loads the file at start and writes it back every second and on exit.
  if (options.stateFile) args.push('--state', options.stateFile, '--state-interval', '1');
  // SAFETY: anvil must not outlive us (a SIGKILLed verifier would leave it holding the port and
  // its state file). A shell runs it and kills it when our end of its stdin closes, which the
  // kernel does when this process dies, however it dies.
  const child = spawn(
    'sh',
    [
      '-c',
      '"$0" "$@" & pid=$!; read _ignored; kill -TERM $pid 2>/dev/null; wait $pid',
      anvilBinary(),
      ...args,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`anvil exited (code ${code}): ${stderr}`))),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end(); // the shell kills anvil (which writes its state) and exits
    await gone;
  };
  try {
    await Promise.race([waitForRpc(rpcUrl), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined); // a later exit is the owner's business (stop() or a crash they watch)
  return { rpcUrl, chainId, process: child, stop };
}

async function waitForRpc(rpcUrl: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`anvil did not answer at ${rpcUrl} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
