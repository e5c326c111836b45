import type { DeploymentView, InstanceView, NodeView } from '@oja/contracts';
import { age, describeDeployment, failureReason, logLine, nodesTable, render, rolloutProgress, table } from './output';

function deployment(overrides: Partial<DeploymentView> = {}): DeploymentView {
  return {
    name: 'web',
    spec: {
      name: 'web',
      image: 'oja/busybox:1',
      replicas: 3,
      env: {},
      ports: [{ container: 8080, publish: 8080, protocol: 'tcp' }],
      resources: { cpu: 0.25, memoryMb: 64 },
      health: { http: { path: '/healthz', port: 8080 }, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 },
      update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 2, progressDeadlineSeconds: 120, autoRollback: true },
      placement: { strategy: 'spread', constraints: [] },
      capabilities: [],
      stopGracePeriodSeconds: 10,
    },
    revision: 2,
    replicas: 3,
    paused: false,
    generation: 5,
    status: { phase: 'progressing', desired: 3, updated: 1, ready: 2, available: 2, conditions: [] },
    createdAt: '2026-11-23T10:00:00.000Z',
    updatedAt: '2026-11-23T10:05:00.000Z',
    ...overrides,
  };
}

const instance: InstanceView = {
  id: '0123456789abcdef',
  node: 'node-1',
  revision: 2,
  state: 'healthy',
  healthy: true,
  reason: null,
  overlayIp: '10.42.1.2',
  containerId: 'c0ffee',
  restarts: 1,
  lastExitCode: 137,
  updatedAt: '2026-11-23T10:05:00.000Z',
};

describe('table', () => {
  it('aligns columns to the widest cell and leaves no trailing spaces', () => {
    expect(table(['NAME', 'X'], [['a', '1'], ['longer', '22']])).toBe('NAME    X\na       1\nlonger  22');
    expect(table(['A', 'B'], [['x', '']])).toBe('A  B\nx');
  });
});

describe('render', () => {
  const value = { items: [{ name: 'web' }] };
  it('prints the API object for json and yaml, the formatter for table', () => {
    expect(JSON.parse(render('json', value, () => 'unused'))).toEqual(value);
    expect(render('yaml', value, () => 'unused')).toBe('items:\n  - name: web');
    expect(render('table', value, (v) => `${v.items.length} item`)).toBe('1 item');
  });
});

describe('age', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it.each([
    ['2026-11-23T11:59:30Z', '30s'],
    ['2026-11-23T11:55:00Z', '5m'],
    ['2026-11-23T09:00:00Z', '3h'],
    ['2026-11-20T12:00:00Z', '3d'],
    [null, '-'],
  ])('%s → %s', (iso, expected) => expect(age(iso, now)).toBe(expected));
});

describe('logLine', () => {
  const entry = { ts: '2026-11-23T10:00:00.123Z', instance: '0123456789abcdef', node: 'node-1', stream: 'stdout' as const, line: 'GET / 200' };
  it('tags each line with node and short instance id, time first on request', () => {
    expect(logLine(entry, false)).toBe('node-1/01234567 GET / 200');
    expect(logLine(entry, true)).toBe('2026-11-23T10:00:00.123Z node-1/01234567 GET / 200');
  });

  it('marks lines from stderr, so the two streams are told apart without -o json', () => {
    expect(logLine({ ...entry, stream: 'stderr', line: 'boom' }, false)).toBe('node-1/01234567 [stderr] boom');
    expect(logLine({ ...entry, stream: 'stderr', line: 'boom' }, true)).toBe('2026-11-23T10:00:00.123Z node-1/01234567 [stderr] boom');
  });
});

describe('rollout lines', () => {
  it('shows counts and phase', () => {
    expect(rolloutProgress(deployment())).toBe('deployment web revision 2: 1/3 updated, 2 ready, 2 available (progressing)');
    expect(rolloutProgress(deployment({ paused: true }))).toContain('(paused)');
  });

  it('explains a failure from the failing condition', () => {
    const failed = deployment({
      status: {
        phase: 'failed',
        desired: 3,
        updated: 1,
        ready: 0,
        available: 0,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: '', lastTransitionAt: '' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'no progress for 120s', lastTransitionAt: '' },
        ],
      },
    });
    expect(failureReason(failed)).toBe('ProgressDeadlineExceeded: no progress for 120s');
    expect(failureReason(deployment())).toBe('rollout failed');
  });
});

describe('nodesTable', () => {
  it('shows allocation against capacity and the dedicated tenant', () => {
    const node: NodeView = {
      name: 'node-1',
      status: 'ready',
      drained: false,
      underlayAddress: '192.168.77.11',
      overlaySubnet: '10.42.1.0/24',
      labels: {},
      capacity: { cpu: 2, memoryMb: 2048 },
      allocated: { cpu: 0.75, memoryMb: 192 },
      instances: 3,
      dedicatedTenant: 'acme',
      lastHeartbeatAt: '2026-11-23T11:59:58Z',
      agentVersion: '0.1.0',
    };
    const [header, row] = nodesTable([node], new Date('2026-11-23T12:00:00Z')).split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'ADDRESS', 'SUBNET', 'CPU', 'MEMORY', 'INSTANCES', 'DEDICATED', 'HEARTBEAT']);
    expect(row.split(/\s{2,}/)).toEqual(['node-1', 'ready', '192.168.77.11', '10.42.1.0/24', '0.75/2', '192/2048Mi', '3', 'acme', '2s ago']);
    const [, down] = nodesTable([{ ...node, status: 'down', drained: true }], new Date('2026-11-23T12:00:00Z')).split('\n');
    expect(down.split(/\s{2,}/)[1]).toBe('down (drained)');
  });
});

describe('describeDeployment', () => {
  it('has spec summary, status, instances with node/state/restarts/exit code, and events', () => {
    const text = describeDeployment(deployment(), [instance], [
      { id: '7', type: 'instance.started', message: 'started on node-1', deployment: 'web', node: 'node-1', at: '2026-11-23T10:01:00Z' },
    ]);
    expect(text).toMatch(/^Name: +web$/m);
    expect(text).toMatch(/^Image: +oja\/busybox:1$/m);
    expect(text).toMatch(/^Replicas: +3 desired \| 1 updated \| 2 ready \| 2 available$/m);
    expect(text).toMatch(/^Health: +http GET :8080\/healthz every 2s/m);
    expect(text).toMatch(/^Ports: +8080→8080\/tcp$/m);
    expect(text).toMatch(/^ {2}01234567 +node-1 +2 +healthy +yes +1 +137 +10\.42\.1\.2 +-$/m);
    expect(text).toMatch(/instance\.started +web +node-1 +started on node-1/);
    expect(text).toMatch(/^Conditions:\n {2}<none>$/m);
    expect(text).not.toContain('Last health checks:');
  });

  it('shows the last three health-check results of each instance', () => {
    const lastChecks = ['HTTP 200', 'HTTP 500', 'HTTP 500', 'timeout after 1s'].map((output, n) => ({ at: `2026-11-23T10:00:0${n}Z`, ok: output === 'HTTP 200', output }));
    const text = describeDeployment(deployment(), [{ ...instance, lastChecks }], []);
    expect(text).toMatch(/^Last health checks:\n {2}INSTANCE +TIME +RESULT +OUTPUT$/m);
    expect(text).not.toContain('HTTP 200');
    expect(text).toMatch(/^ {2}01234567 +2026-11-23T10:00:01Z +fail +HTTP 500$/m);
    expect(text).toMatch(/^ {2}01234567 +2026-11-23T10:00:03Z +fail +timeout after 1s$/m);
  });
});
