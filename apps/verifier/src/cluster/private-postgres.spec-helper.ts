import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@verilay/client';

const run = promisify(execFile);

/** Debian's newest Postgres binaries, if installed (scripts/services.sh uses the same). */
function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((x, y) => Number(y) - Number(x));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

/**
 * A Postgres server of one spec's own, which it may stop and restart (the shared one of
 * scripts/services.sh serves every other spec). As root, its files belong to the postgres user.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static available(): boolean {
    return pgBin() !== undefined;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = pgBin();
    if (!bin) throw new Error('no Postgres binaries (apt-get install postgresql)');
    const dir = mkdtempSync(join(tmpdir(), 'verilay-pg-'));
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
      chmodSync(dir, 0o700);
    }
    const pg = new PrivatePostgres(bin, dir, await freePort());
    await pg.as('initdb', ['-D', join(dir, 'data'), '-U', 'verilay', '--auth=trust', '-E', 'UTF8']);
    await pg.startServer();
    return pg;
  }

  get url(): string {
    return `postgres://verilay@127.0.0.1:${this.port}/postgres`;
  }

  /** A database URL on this server. */
  database(name: string): string {
    return `postgres://verilay@127.0.0.1:${this.port}/${name}`;
  }

  async startServer(): Promise<void> {
    await this.as('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-w',
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      `-h 127.0.0.1 -p ${this.port} -k ''`,
      'start',
    ]);
  }

  /** `-m fast`: sessions are ended, as in a restart for maintenance. */
  async stopServer(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.as('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stopServer('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async as(tool: string, args: string[]): Promise<void> {
    const path = join(this.bin, tool);
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', path, ...args]);
    else await run(path, args);
  }
}
