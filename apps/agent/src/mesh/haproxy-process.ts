import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { haproxyCommand } from './runtime-api';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 10_000;

export interface HaproxyPaths {
  binary: string;
  config: string;
  masterSocket: string;
  adminSocket: string;
}

export interface HaproxyLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * Debian's haproxy as a child of the agent, in master-worker mode (`-W -S <master socket>`). It runs under
 * `setpriv --pdeathsig KILL` so it never outlives the agent (an agent killed with SIGKILL leaves no HAProxy holding
 * the published ports; the agent's next start builds the mesh again). A config change reaches it with the
 * master's `reload`: the new worker takes over the listeners and the old one finishes its open connections.
 */
export class HaproxyProcess {
  private child?: ChildProcess;
  private stopping = false;

  constructor(
    private readonly paths: HaproxyPaths,
    private readonly log: HaproxyLog,
    private readonly onExit: (code: number | null) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(config: string): Promise<void> {
    await this.writeChecked(config);
    await rm(this.paths.masterSocket, { force: true });
    await rm(this.paths.adminSocket, { force: true });
    this.stopping = false;
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', this.paths.binary, '-W', '-S', `${this.paths.masterSocket},mode,600`, '-f', this.paths.config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
        if (line.includes('[ALERT]')) this.log.warn(`haproxy: ${line}`);
        else this.log.info(`haproxy: ${line}`);
      }
    });
    child.on('exit', (code) => {
      if (this.child === child) this.child = undefined;
      if (!this.stopping) this.onExit(code);
    });
    await this.waitForWorker(null);
  }

  /** Writes a (checked) config and has the master start a new worker on it; resolves once the new worker answers. */
  async reload(config: string): Promise<void> {
    await this.writeChecked(config);
    const before = await this.workerPid();
    await haproxyCommand(this.paths.masterSocket, ['reload']);
    await this.waitForWorker(before);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
    this.child = undefined;
  }

  /** A config HAProxy rejects is never installed: the running one stays. */
  private async writeChecked(config: string): Promise<void> {
    const candidate = `${this.paths.config}.new`;
    await writeFile(candidate, config, { mode: 0o600 });
    try {
      await run(this.paths.binary, ['-c', '-q', '-f', candidate]);
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: string; stdout?: string };
      throw new Error(`haproxy rejected the generated config: ${(stderr || stdout || (err as Error).message).trim()}`);
    }
    await rename(candidate, this.paths.config);
  }

  private async workerPid(): Promise<string | null> {
    const info = await haproxyCommand(this.paths.adminSocket, ['show info']).catch(() => '');
    return /^Pid: (\d+)/m.exec(info)?.[1] ?? null;
  }

  /** Waits until a worker other than `previous` answers on the runtime API (or the master reports a failed reload). */
  private async waitForWorker(previous: string | null): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error('haproxy exited during start');
      const pid = await this.workerPid();
      if (pid && pid !== previous) return;
      await sleep(50);
    }
    throw new Error(`haproxy worker not answering on ${this.paths.adminSocket} after ${READY_TIMEOUT_MS} ms`);
  }
}
