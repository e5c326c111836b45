import type { LogEntry } from '@oja/contracts';

/**
 * A sortable key for a Docker timestamp. Docker writes RFC 3339 with nanoseconds but trims trailing zeros
 * ("…:05.1Z" vs "…:05.123456789Z"), so the strings do not sort as written: pad the fraction to 9 digits.
 * Non-UTC offsets are normalised through Date (milliseconds kept; Docker always answers in UTC).
 */
export function timestampKey(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.toISOString().slice(0, 19)}.${String(date.getUTCMilliseconds()).padStart(3, '0').padEnd(9, '0')}`;
}

/**
 * k-way merge of per-instance line lists, each already in time order (as Docker returns them), into one list
 * in time order. Ties keep the order of `lists` (stable), so one instance's lines never swap.
 */
export function mergeByTime(lists: readonly (readonly LogEntry[])[]): LogEntry[] {
  const keyed = lists.map((list) => list.map((entry) => timestampKey(entry.ts)));
  const heads = lists.map(() => 0);
  const out: LogEntry[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (heads[i] >= lists[i].length) continue;
      if (best < 0 || keyed[i][heads[i]] < keyed[best][heads[best]]) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best][heads[best]]);
    heads[best] += 1;
  }
}
