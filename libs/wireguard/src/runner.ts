import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';

/** Result of a command that ran to completion with exit code 0. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kills the command (SIGKILL) after this long; default 15 s. */
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Append stdout+stderr to this file instead of a pipe: a daemon that should outlive its parent
   * (wireguard-go across an agent restart) must not die of SIGPIPE when the parent goes away.
   */
  logPath?: string;
}

/** A long-running process (e.g. wireguard-go -f) started through a runner. */
export interface SpawnedProcess {
  readonly pid: number;
  /** Settles once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few KiB of its stdout+stderr, for error messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs commands; the seam between this library and the machine. The real one is
 * {@link execFileRunner}; unit tests use {@link RecordingRunner}, the lab wraps commands so they run
 * inside a simulated host's namespaces.
 */
export interface CommandRunner {
  /** Resolves on exit code 0, rejects with {@link CommandError} otherwise. */
  run(cmd: string, args: readonly string[], options?: RunOptions): Promise<CommandOutput>;
  spawn(cmd: string, args: readonly string[], options?: SpawnOptions): Promise<SpawnedProcess>;
}

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    reason?: string,
  ) {
    super(`${[cmd, ...args].join(' ')} failed (${reason ?? `exit ${exitCode}`}): ${stderr.trim()}`);
    this.name = 'CommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;
const OUTPUT_TAIL_BYTES = 4096;

export const execFileRunner: CommandRunner = {
  run(cmd, args, options = {}) {
    return new Promise((resolve, reject) => {
      const child = execFile(
        cmd,
        [...args],
        { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', env: options.env, maxBuffer: 64 << 20 },
        (error, stdout, stderr) => {
          if (!error) return resolve({ stdout, stderr });
          const code = typeof error.code === 'number' ? error.code : null;
          const reason = error.killed ? 'timed out' : code === null ? String(error.code ?? error.message) : undefined;
          reject(new CommandError(cmd, args, code, stderr || '', reason));
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  },

  spawn(cmd, args, options = {}) {
    return new Promise((resolve, reject) => {
      const logFd = options.logPath === undefined ? undefined : openSync(options.logPath, 'a');
      const out = logFd ?? 'pipe';
      const child = spawn(cmd, [...args], { env: options.env, stdio: ['ignore', out, out] });
      if (logFd !== undefined) closeSync(logFd);
      let tail = '';
      const keep = (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const output = () => (options.logPath === undefined ? tail : readTail(options.logPath));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        // 'close', not 'exit': by then all output has been read, so output() is complete
        child.once('close', (code, signal) => done({ code, signal })),
      );
      child.once('error', reject);
      child.once('spawn', () =>
        resolve({
          pid: child.pid as number,
          exited,
          output,
          kill: (signal = 'SIGTERM') => {
            child.kill(signal);
          },
        }),
      );
    });
  },
};

function readTail(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, OUTPUT_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
