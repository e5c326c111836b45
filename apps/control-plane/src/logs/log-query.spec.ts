import { ApiProblem } from '../api/problem';
import { resolveSince, selectInstance } from './log-query';

const now = new Date('2026-11-23T12:00:00.000Z');

function problemOf(fn: () => unknown): ApiProblem {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiProblem) return err;
    throw err;
  }
  throw new Error('no problem thrown');
}

describe('resolveSince', () => {
  it('turns durations into a time before now and keeps RFC 3339 times', () => {
    expect(resolveSince(undefined, now)).toBeUndefined();
    expect(resolveSince('90s', now)).toBe('2026-11-23T11:58:30.000Z');
    expect(resolveSince('5m', now)).toBe('2026-11-23T11:55:00.000Z');
    expect(resolveSince('2h', now)).toBe('2026-11-23T10:00:00.000Z');
    expect(resolveSince('1d', now)).toBe('2026-11-22T12:00:00.000Z');
    expect(resolveSince('2026-11-23T13:00:00+02:00', now)).toBe('2026-11-23T11:00:00.000Z');
  });

  it('answers an impossible date with a 400 naming since', () => {
    const p = problemOf(() => resolveSince('2026-13-45T99:00:00Z', now));
    expect(p.status).toBe(400);
    expect(p.errors?.[0].path).toBe('since');
  });
});

describe('selectInstance', () => {
  const ids = ['0a1b2c3d-0000-4000-8000-000000000001', '0a1b9999-0000-4000-8000-000000000002', 'ffff0000-0000-4000-8000-000000000003'];

  it('accepts a full id (any case) or a unique prefix', () => {
    expect(selectInstance(ids, ids[2].toUpperCase())).toBe(ids[2]);
    expect(selectInstance(ids, 'ff')).toBe(ids[2]);
    expect(selectInstance(ids, '0a1b2')).toBe(ids[0]);
  });

  it('is a 404 when nothing matches and a 400 naming instance when several do', () => {
    expect(problemOf(() => selectInstance(ids, 'abc')).status).toBe(404);
    const ambiguous = problemOf(() => selectInstance(ids, '0a1b'));
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.errors?.[0].path).toBe('instance');
    expect(ambiguous.detail).toContain('matches 2 instances');
  });
});
