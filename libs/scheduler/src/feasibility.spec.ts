import { node } from '../test/factories';
import {
  checkConstraints,
  checkDedicated,
  checkFits,
  checkReady,
  checkStatic,
  matchesConstraint,
  parseConstraint,
  taintedNodesFor,
  toMilliCpu,
  type LabelConstraint,
} from './feasibility';

const c = (text: string): LabelConstraint => {
  const parsed = parseConstraint(text);
  if (!parsed) throw new Error(`bad fixture ${text}`);
  return parsed;
};

describe('checkReady', () => {
  it.each([
    ['ready', null],
    ['down', 'down'],
    ['draining', 'draining'],
  ] as const)('%s → %s', (status, reason) => {
    expect(checkReady({ status })).toBe(reason);
  });
});

describe('checkDedicated', () => {
  it.each([
    // node dedicated to, tenant, tenant dedicated, reason
    [null, 'acme', false, null],
    [null, 'acme', true, 'not dedicated to this tenant'],
    ['acme', 'acme', false, null],
    ['acme', 'acme', true, null],
    ['globex', 'acme', false, 'dedicated to another tenant'],
    ['globex', 'acme', true, 'dedicated to another tenant'],
  ])('node for %s, tenant %s (dedicated %s) → %s', (dedicatedTenantId, tenantId, tenantDedicated, reason) => {
    expect(checkDedicated({ dedicatedTenantId }, { tenantId, tenantDedicated })).toBe(reason);
  });
});

describe('parseConstraint', () => {
  it.each([
    ['label.zone == a', { key: 'zone', op: '==', value: 'a', text: 'label.zone == a' }],
    ['label.zone!=b', { key: 'zone', op: '!=', value: 'b', text: 'label.zone != b' }],
    ['  label.topology.io/rack ==  r-1 ', { key: 'topology.io/rack', op: '==', value: 'r-1', text: 'label.topology.io/rack == r-1' }],
  ])('%j', (raw, parsed) => {
    expect(parseConstraint(raw)).toEqual(parsed);
  });

  it.each(['zone == a', 'label.zone = a', 'label.zone == ', 'label.zone == a b', 'attr.zone == a'])('rejects %j', (raw) => {
    expect(parseConstraint(raw)).toBeNull();
  });
});

describe('matchesConstraint / checkConstraints', () => {
  it.each([
    [{ zone: 'a' }, 'label.zone == a', true],
    [{ zone: 'b' }, 'label.zone == a', false],
    [{}, 'label.zone == a', false],
    [{ zone: 'a' }, 'label.zone != a', false],
    [{ zone: 'b' }, 'label.zone != a', true],
    [{}, 'label.zone != a', true],
    [{ constructor: 'x' }, 'label.toString == x', false],
  ])('%j %s → %s', (labels, text, matches) => {
    expect(matchesConstraint(labels, c(text))).toBe(matches);
  });

  it('names the first constraint the node fails', () => {
    const constraints = [c('label.zone == a'), c('label.disk == ssd'), c('label.gpu != yes')];
    expect(checkConstraints({ labels: { zone: 'a', disk: 'ssd' } }, constraints)).toBeNull();
    expect(checkConstraints({ labels: { zone: 'a', disk: 'hdd', gpu: 'yes' } }, constraints)).toBe('not matching label.disk == ssd');
    expect(checkConstraints({ labels: { zone: 'a', disk: 'ssd', gpu: 'yes' } }, constraints)).toBe('not matching label.gpu != yes');
  });
});

describe('checkFits', () => {
  it.each([
    // free cpu (m), free memory, want cpu (m), want memory, shortage
    [1000, 1024, 500, 512, null],
    [500, 512, 500, 512, null],
    [499, 512, 500, 512, 'cpu'],
    [500, 511, 500, 512, 'memory'],
    [0, 0, 500, 512, 'cpu and memory'],
    [-100, 1024, 100, 1, 'cpu'],
  ])('free %d m / %d MiB, want %d m / %d MiB → %s', (freeCpu, freeMemory, wantCpu, wantMemory, shortage) => {
    expect(checkFits(freeCpu, freeMemory, wantCpu, wantMemory)).toBe(shortage);
  });

  it('uses exact millicores, so 0.1 + 0.2 fits in 0.3', () => {
    expect(toMilliCpu(0.1) + toMilliCpu(0.2)).toBe(toMilliCpu(0.3));
    expect(checkFits(toMilliCpu(0.3) - toMilliCpu(0.1), 100, toMilliCpu(0.2), 100)).toBeNull();
  });
});

describe('checkStatic', () => {
  it('reports the first failing rule in order ready → dedicated → constraints', () => {
    const tenant = { tenantId: 'acme', tenantDedicated: false };
    const zone = [c('label.zone == a')];
    expect(checkStatic(node({ id: 'n', status: 'down', dedicatedTenantId: 'globex' }), tenant, zone)).toBe('down');
    expect(checkStatic(node({ id: 'n', dedicatedTenantId: 'globex' }), tenant, zone)).toBe('dedicated to another tenant');
    expect(checkStatic(node({ id: 'n', labels: { zone: 'b' } }), tenant, zone)).toBe('not matching label.zone == a');
    expect(checkStatic(node({ id: 'n', labels: { zone: 'a' } }), tenant, zone)).toBeNull();
  });
});

describe('taintedNodesFor', () => {
  it('lists down and draining nodes, and nodes the dedicated rules now forbid', () => {
    const nodes = [
      node({ id: 'ok' }),
      node({ id: 'down', status: 'down' }),
      node({ id: 'drain', status: 'draining', dedicatedTenantId: 'acme' }),
      node({ id: 'mine', dedicatedTenantId: 'acme' }),
      node({ id: 'theirs', dedicatedTenantId: 'globex' }),
      node({ id: 'elsewhere', labels: { zone: 'b' } }),
    ];
    expect(taintedNodesFor(nodes, { tenantId: 'acme', tenantDedicated: false })).toEqual({ down: 'down', drain: 'draining', theirs: 'ineligible' });
    expect(taintedNodesFor(nodes, { tenantId: 'acme', tenantDedicated: true })).toEqual({
      ok: 'ineligible', down: 'down', drain: 'draining', theirs: 'ineligible', elsewhere: 'ineligible',
    });
  });
});
