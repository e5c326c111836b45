import type { LoggerService } from '@nestjs/common';

type Level = 'log' | 'warn' | 'error' | 'debug' | 'verbose';

/**
 * A Nest logger that keeps every line, for tests that assert what the control plane logged: pass it as
 * `startControlPlane({ logger })`. Nest installs an app's logger process-wide, so use one control plane per file with it.
 */
export class CapturedLogs implements LoggerService {
  readonly lines: { level: Level; context: string; message: string }[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.keep('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.keep('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.keep('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.keep('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.keep('verbose', message, params);
  }

  /** The messages logged at `level` by `context` (e.g. "AgentStreams") that contain `text`. */
  matching(level: Level, context: string, text: string): string[] {
    return this.lines.filter((l) => l.level === level && l.context === context && l.message.includes(text)).map((l) => l.message);
  }

  // A Nest Logger passes its context as the last parameter.
  private keep(level: Level, message: unknown, params: unknown[]): void {
    const context = params.at(-1);
    this.lines.push({ level, context: typeof context === 'string' ? context : '', message: String(message) });
  }
}
