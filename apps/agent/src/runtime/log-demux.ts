import type { LogLine, LogStreamName } from './runtime';

const HEADER_BYTES = 8;
const STREAMS: Record<number, LogStreamName> = { 1: 'stdout', 2: 'stderr' };

/**
 * Turns Docker's multiplexed log/attach stream (non-TTY: 8-byte frame headers, stream type 1 = stdout,
 * 2 = stderr, big-endian payload length) into whole lines per stream. Frames and lines may be split
 * across chunks arbitrarily; a partial line is kept until its newline arrives or the stream ends.
 */
export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<LogStreamName, string> = { stdout: '', stderr: '' };

  /** @param timestamps lines start with Docker's RFC 3339 timestamp and a space, split off into `ts` */
  constructor(private readonly timestamps: boolean) {}

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const lines: LogLine[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      const stream = STREAMS[this.pending[0]];
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size).toString('utf8');
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      if (stream) lines.push(...this.splitLines(stream, payload));
    }
    return lines;
  }

  /** Flushes unterminated last lines. */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) lines.push(this.toLine(stream, this.partial[stream]));
      this.partial[stream] = '';
    }
    return lines;
  }

  private splitLines(stream: LogStreamName, text: string): LogLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((p) => this.toLine(stream, p.endsWith('\r') ? p.slice(0, -1) : p));
  }

  private toLine(stream: LogStreamName, raw: string): LogLine {
    if (!this.timestamps) return { stream, ts: null, line: raw };
    const space = raw.indexOf(' ');
    return space < 0 ? { stream, ts: raw, line: '' } : { stream, ts: raw.slice(0, space), line: raw.slice(space + 1) };
  }
}
