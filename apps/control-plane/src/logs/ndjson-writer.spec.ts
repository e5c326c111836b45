import type { LogEntry } from '@oja/contracts';
import { NdjsonWriter, type NdjsonSink } from './ndjson-writer';

/** A sink whose unsent output the test controls. */
class SlowSink implements NdjsonSink {
  chunks: string[] = [];
  writableLength = 0;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    this.writableLength += chunk.length;
    return true;
  }
  lines(): LogEntry[] {
    return this.chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
  }
}

const entry = (line: string): LogEntry => ({ ts: '2026-11-23T10:00:00Z', instance: 'i', node: 'n', stream: 'stdout', line });

describe('NdjsonWriter', () => {
  it('writes one JSON object per line', () => {
    const sink = new SlowSink();
    const writer = new NdjsonWriter(sink);
    writer.write(entry('a'));
    writer.write(entry('b'));
    expect(sink.chunks.every((c) => c.endsWith('\n'))).toBe(true);
    expect(sink.lines().map((e) => e.line)).toEqual(['a', 'b']);
  });

  it('drops lines while the client is behind by more than the limit, then says how many', () => {
    const sink = new SlowSink();
    const writer = new NdjsonWriter(sink, 100);
    writer.write(entry('first'));
    sink.writableLength = 101; // the client stopped reading
    for (let i = 0; i < 5; i++) writer.write(entry(`lost ${i}`));
    expect(sink.lines().map((e) => e.line)).toEqual(['first']);
    sink.writableLength = 0; // caught up
    writer.write(entry('next'));
    const lines = sink.lines();
    expect(lines.map((e) => e.line)).toEqual(['first', 'oja: 5 lines dropped: the client reads too slowly', 'next']);
    expect(lines[1]).toMatchObject({ instance: '', node: '', stream: 'stderr' });
  });
});
