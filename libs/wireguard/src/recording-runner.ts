import { CommandError, type CommandOutput, type CommandRunner, type RunOptions, type SpawnedProcess } from './runner';

export interface RecordedCall {
  kind: 'run' | 'spawn';
  /** Command and arguments joined by single spaces, e.g. `wg set oja0 listen-port 51820`. */
  line: string;
  input?: string;
}

/** A scripted reply: stdout text, a failure, or a function of the command line. */
export type Reply = string | { fail: string; exitCode?: number } | ((line: string) => string | { fail: string; exitCode?: number });

/** A process handed out by {@link RecordingRunner.spawn}; the test decides when it exits. */
export class FakeProcess implements SpawnedProcess {
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private finish!: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;

  constructor(
    readonly pid: number,
    private readonly log = '',
  ) {
    this.exited = new Promise((resolve) => (this.finish = resolve));
  }

  output(): string {
    return this.log;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.signals.push(signal);
    this.finish({ code: null, signal });
  }

  exit(code: number): void {
    this.finish({ code, signal: null });
  }
}

/**
 * Fake {@link CommandRunner} for unit tests: records every command line and answers from rules
 * matched by line prefix (the most recently added matching rule wins; unmatched commands succeed
 * with empty output).
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  readonly spawned: FakeProcess[] = [];
  private readonly rules: { prefix: string; reply: Reply }[] = [];
  private nextPid = 4000;
  /** Called for each spawn; lets a test make the process exit at once, change later replies, etc. */
  onSpawn: (process: FakeProcess, line: string) => void = () => undefined;

  when(prefix: string, reply: Reply): this {
    this.rules.unshift({ prefix, reply });
    return this;
  }

  lines(kind?: RecordedCall['kind']): string[] {
    return this.calls.filter((c) => kind === undefined || c.kind === kind).map((c) => c.line);
  }

  async run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
    const line = [cmd, ...args].join(' ');
    this.calls.push({ kind: 'run', line, ...(options.input === undefined ? {} : { input: options.input }) });
    const rule = this.rules.find((r) => line.startsWith(r.prefix));
    const reply = typeof rule?.reply === 'function' ? rule.reply(line) : (rule?.reply ?? '');
    if (typeof reply === 'string') return { stdout: reply, stderr: '' };
    throw new CommandError(cmd, args, reply.exitCode ?? 1, reply.fail);
  }

  async spawn(cmd: string, args: readonly string[]): Promise<SpawnedProcess> {
    const line = [cmd, ...args].join(' ');
    this.calls.push({ kind: 'spawn', line });
    const process = new FakeProcess(this.nextPid++);
    this.spawned.push(process);
    this.onSpawn(process, line);
    return process;
  }
}
