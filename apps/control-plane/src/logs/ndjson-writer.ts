import type { LogEntry } from '@oja/contracts';

/** Where NDJSON goes: an HTTP response (Node's Writable has both). */
export interface NdjsonSink {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

/** Past this much unsent output a client is too slow: further lines are dropped (and counted) until it catches up. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** A line of the stream written by oja itself (dropped lines, an instance whose logs could not be read); instance '' when about no instance. */
export function notice(line: string, where: { instance?: string; node?: string } = {}, at = new Date()): LogEntry {
  return { ts: at.toISOString(), instance: where.instance ?? '', node: where.node ?? '', stream: 'stderr', line: `oja: ${line}` };
}

/**
 * Writes log entries as NDJSON without buffering unboundedly: the control plane cannot slow an agent's
 * stream down for one reader (it carries everything else of that node too), so while the client has more
 * than `limitBytes` unread, lines are dropped; once it catches up, one notice says how many were lost.
 */
export class NdjsonWriter {
  private dropped = 0;

  constructor(
    private readonly sink: NdjsonSink,
    private readonly limitBytes = MAX_BUFFERED_BYTES,
  ) {}

  write(entry: LogEntry): void {
    if (this.sink.writableLength > this.limitBytes) {
      this.dropped += 1;
      return;
    }
    if (this.dropped > 0) {
      this.sink.write(`${JSON.stringify(notice(`${this.dropped} lines dropped: the client reads too slowly`))}\n`);
      this.dropped = 0;
    }
    this.sink.write(`${JSON.stringify(entry)}\n`);
  }
}
