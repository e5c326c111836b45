import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
export const AGENT_BIN = join(ROOT, 'apps', 'agent', 'bin', 'oja-agent.js');

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The built `oja-agent` as a child process, its pino output parsed and also appended to a log file. */
export class AgentProcess {
  readonly lines: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly file: WriteStream;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private buffered = '';

  constructor(args: string[], logFile: string, env: Record<string, string> = {}) {
    this.file = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(AGENT_BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.file.write(chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How many log lines carry this message. */
  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  /** The last lines, for failure messages. */
  tail(n = 20): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL if still running and wait for the exit (afterAll). */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
    await new Promise((resolve) => this.file.end(resolve));
  }

  private take(chunk: Buffer): void {
    this.file.write(chunk);
    this.buffered += chunk.toString('utf8');
    const parts = this.buffered.split('\n');
    this.buffered = parts.pop() ?? '';
    for (const part of parts) {
      try {
        this.lines.push(JSON.parse(part) as LogLine);
      } catch {
        this.lines.push({ level: 30, msg: part });
      }
    }
  }
}
