import type { InstanceStatus } from '@oja/proto';
import { type ObservedInstance, isReady, isStale, needsEvaluation, parseReport, transitionEvents } from './instance-status';

const received = new Date('2026-11-23T12:00:00Z');
const report = (over: Partial<InstanceStatus>): InstanceStatus => ({
  instanceId: 'i', state: 'running', containerId: 'c', overlayIp: '10.42.0.2', healthy: true, restarts: 0, exitCode: -1,
  reason: '', lastChecks: [], at: '2026-11-23T12:00:01Z', pulledImage: '', ...over,
});
const observed = (over: Partial<ObservedInstance>): ObservedInstance => ({
  state: 'pending', healthy: false, restarts: 0, lastExitCode: null, reason: null, observedAt: null, ...over,
});

describe('agent instance reports', () => {
  it('parses a report, mapping empty strings and -1 to null', () => {
    expect(parseReport(report({ containerId: '', overlayIp: '', exitCode: -1 }), received)).toMatchObject({
      state: 'running', containerId: null, overlayIp: null, lastExitCode: null, reason: null, observedAt: new Date('2026-11-23T12:00:01Z'),
      pulledImage: null,
    });
    expect(parseReport(report({ state: 'starting', pulledImage: 'registry:5000/acme/web:2' }), received)?.pulledImage).toBe('registry:5000/acme/web:2');
  });

  it('refuses unknown states and falls back to the receive time for a missing or bad timestamp', () => {
    expect(parseReport(report({ state: 'exploded' }), received)).toBeNull();
    expect(parseReport(report({ at: '' }), received)?.observedAt).toEqual(received);
    expect(parseReport(report({ at: 'yesterday' }), received)?.observedAt).toEqual(received);
  });

  it('treats a report observed before the stored state as stale', () => {
    const stored = observed({ state: 'healthy', observedAt: new Date('2026-11-23T12:00:05Z') });
    expect(isStale(stored, parseReport(report({ at: '2026-11-23T12:00:01Z' }), received)!)).toBe(true);
    expect(isStale(stored, parseReport(report({ at: '2026-11-23T12:00:05Z' }), received)!)).toBe(false);
    expect(isStale(observed({}), parseReport(report({}), received)!)).toBe(false);
  });

  it('is ready only when up and healthy', () => {
    expect(isReady({ state: 'running', healthy: true })).toBe(true);
    expect(isReady({ state: 'healthy', healthy: true })).toBe(true);
    expect(isReady({ state: 'running', healthy: false })).toBe(false);
    expect(isReady({ state: 'unhealthy', healthy: false })).toBe(false);
  });

  it.each<[string, Partial<ObservedInstance>, Partial<ObservedInstance>, string[]]>([
    ['start without probe', { state: 'starting' }, { state: 'running', healthy: true }, ['instance.started', 'instance.healthy']],
    ['start with probe', { state: 'starting' }, { state: 'running', healthy: false }, ['instance.started']],
    ['probe passes', { state: 'running' }, { state: 'healthy', healthy: true }, ['instance.healthy']],
    ['probe fails', { state: 'healthy', healthy: true }, { state: 'unhealthy', reason: 'HTTP 500' }, ['instance.unhealthy']],
    ['pull fails', { state: 'pending' }, { state: 'failed', reason: 'image not found: x' }, ['instance.failed']],
    ['crash + restart', { state: 'running', healthy: true }, { state: 'running', healthy: true, restarts: 1, lastExitCode: 137 }, ['instance.restarted']],
    ['exit', { state: 'running', healthy: true }, { state: 'exited', lastExitCode: 0 }, ['instance.exited']],
    ['no change', { state: 'healthy', healthy: true }, { state: 'healthy', healthy: true }, []],
  ])('%s → %p', (_name, prev, next, types) => {
    expect(transitionEvents(observed(prev), observed(next)).map((e) => e.type)).toEqual(types);
  });

  it('records a pull, with the image, whether or not the state changed', () => {
    const pulled = { ...observed({ state: 'starting' }), pulledImage: 'registry:5000/acme/web:2' };
    expect(transitionEvents(observed({ state: 'starting' }), pulled)).toEqual([{ type: 'instance.pulled', message: 'pulled image registry:5000/acme/web:2' }]);
    expect(transitionEvents(observed({ state: 'pending' }), { ...pulled, state: 'running', healthy: true }).map((e) => e.type)).toEqual([
      'instance.pulled', 'instance.started', 'instance.healthy',
    ]);
    expect(transitionEvents(observed({ state: 'starting' }), { ...observed({ state: 'starting' }), pulledImage: null })).toEqual([]);
  });

  it('puts the reason and exit code in the messages', () => {
    expect(transitionEvents(observed({}), observed({ state: 'failed', reason: 'pull denied: bad credentials' }))[0].message).toBe(
      'failed: pull denied: bad credentials',
    );
    expect(transitionEvents(observed({ state: 'running' }), observed({ state: 'running', restarts: 2, lastExitCode: 1 }))[0].message).toContain(
      'last exit code 1',
    );
  });

  it('asks for an evaluation when readiness changes or the instance fails', () => {
    expect(needsEvaluation(observed({ state: 'starting' }), observed({ state: 'running', healthy: true }))).toBe(true);
    expect(needsEvaluation(observed({ state: 'pending' }), observed({ state: 'starting' }))).toBe(false);
    expect(needsEvaluation(observed({ state: 'starting' }), observed({ state: 'failed' }))).toBe(true);
    expect(needsEvaluation(observed({ state: 'healthy', healthy: true }), observed({ state: 'healthy', healthy: true }))).toBe(false);
  });
});
