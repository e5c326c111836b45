import fc from 'fast-check';
import { LogDemuxer } from './log-demux';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('LogDemuxer', () => {
  it('splits frames into lines per stream and keeps partial lines until their newline', () => {
    const d = new LogDemuxer(false);
    expect(d.push(Buffer.concat([frame(1, 'a\nb'), frame(2, 'oops\n')]))).toEqual([
      { stream: 'stdout', ts: null, line: 'a' },
      { stream: 'stderr', ts: null, line: 'oops' },
    ]);
    expect(d.push(frame(1, 'c\r\n'))).toEqual([{ stream: 'stdout', ts: null, line: 'bc' }]);
    expect(d.push(frame(2, 'tail'))).toEqual([]);
    expect(d.end()).toEqual([{ stream: 'stderr', ts: null, line: 'tail' }]);
  });

  it('splits off the Docker timestamp when asked', () => {
    const d = new LogDemuxer(true);
    expect(d.push(frame(1, '2026-11-23T18:00:00.123456789Z hello world\n'))).toEqual([
      { stream: 'stdout', ts: '2026-11-23T18:00:00.123456789Z', line: 'hello world' },
    ]);
  });

  it('gives the same lines however the bytes are chunked (multi-byte characters included)', () => {
    const input = Buffer.concat([frame(1, 'héllo\nwör'), frame(2, 'ünïcode ✓\n'), frame(1, 'ld\n')]);
    const whole = new LogDemuxer(false);
    const expected = [...whole.push(input), ...whole.end()];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 8 }), (cuts) => {
        const d = new LogDemuxer(false);
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), input.length];
        const out = points.slice(1).flatMap((end, i) => d.push(input.subarray(points[i], end)));
        expect([...out, ...d.end()]).toEqual(expected);
      }),
    );
    expect(expected.map((l) => l.line)).toEqual(['héllo', 'ünïcode ✓', 'wörld']);
  });
});
