import fc from 'fast-check';
import type { LogEntry } from '@oja/contracts';
import { mergeByTime, timestampKey } from './log-merge';

const entry = (ts: string, instance: string, line = ''): LogEntry => ({ ts, instance, node: 'n', stream: 'stdout', line });

describe('timestampKey', () => {
  it('orders Docker timestamps whose trailing zeros were trimmed (as strings they do not sort)', () => {
    const cases: [string, string][] = [
      ['2026-11-23T10:00:05.123456789Z', '2026-11-23T10:00:05.2Z'],
      ['2026-11-23T10:00:05.1Z', '2026-11-23T10:00:05.123456789Z'],
      ['2026-11-23T10:00:05Z', '2026-11-23T10:00:05.000000001Z'],
    ];
    expect(cases.map(([a, b]) => a < b)).toEqual([true, false, false]);
    for (const [earlier, later] of cases) expect(timestampKey(earlier) < timestampKey(later)).toBe(true);
  });

  it('normalises other offsets through Date and puts unreadable times first', () => {
    expect(timestampKey('2026-11-23T11:00:05.5+01:00')).toBe(timestampKey('2026-11-23T10:00:05.5Z'));
    expect(timestampKey('garbage')).toBe('');
  });
});

describe('mergeByTime', () => {
  it('interleaves sorted per-instance lists in time order, stable on ties', () => {
    const a = [entry('2026-11-23T10:00:01Z', 'a', 'a1'), entry('2026-11-23T10:00:03Z', 'a', 'a3'), entry('2026-11-23T10:00:03Z', 'a', 'a3b')];
    const b = [entry('2026-11-23T10:00:02.5Z', 'b', 'b2'), entry('2026-11-23T10:00:03Z', 'b', 'b3')];
    const c: LogEntry[] = [];
    expect(mergeByTime([a, b, c]).map((e) => e.line)).toEqual(['a1', 'b2', 'a3', 'a3b', 'b3']);
  });

  it('property: the output is every input line, in time order, each list keeping its own order', () => {
    const nanos = fc.integer({ min: 0, max: 9_999 });
    const list = fc.array(nanos, { maxLength: 30 }).map((xs) => xs.sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.array(list, { maxLength: 6 }), (lists) => {
        const entries = lists.map((xs, i) =>
          xs.map((n, j) => entry(`2026-11-23T10:00:0${Math.floor(n / 1000) % 10}.${String(n % 1000).padStart(3, '0').replace(/0+$/, '')}Z`.replace('.Z', 'Z'), `i${i}`, `${i}:${j}`)),
        );
        const merged = mergeByTime(entries);
        expect(merged).toHaveLength(entries.flat().length);
        const keys = merged.map((e) => timestampKey(e.ts));
        expect([...keys].sort()).toEqual(keys);
        for (let i = 0; i < entries.length; i++) {
          expect(merged.filter((e) => e.instance === `i${i}`)).toEqual(entries[i]);
        }
      }),
    );
  });
});
