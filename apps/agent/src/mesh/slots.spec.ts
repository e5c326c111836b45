import { renderConfig, MIN_SLOTS } from './haproxy-config';
import { applyRoutes, drainInstance, drainingSlots, drainWaitOver, releaseSlot } from './slots';
import type { MeshBackend, MeshRoute, RouteTable } from './types';

const backend = (n: number): MeshBackend => ({ instanceId: `i${n}`, address: `10.42.0.${n}`, port: 8080 });
const route = (backends: MeshBackend[], extra: Partial<MeshRoute> = {}): MeshRoute => ({
  tenant: 't', deployment: 'web', publishPort: 9000, containerPort: 8080, http: true, backends, ...extra,
});
const empty = new Map<number, RouteTable>();
const ids = (tables: ReadonlyMap<number, RouteTable>, port = 9000) => tables.get(port)!.slots.map((s) => (s ? `${s.instanceId}:${s.state}` : null));

describe('applyRoutes', () => {
  it('a new published port needs a reload and fills the first slots', () => {
    const plan = applyRoutes(empty, [route([backend(1), backend(2)])]);
    expect(plan.reload).toBe(true);
    expect(ids(plan.tables).slice(0, 3)).toEqual(['i1:ready', 'i2:ready', null]);
    expect(plan.tables.get(9000)!.slots).toHaveLength(MIN_SLOTS);
  });

  it('adds a backend through the runtime API, without a reload', () => {
    const first = applyRoutes(empty, [route([backend(1)])]);
    const plan = applyRoutes(first.tables, [route([backend(1), backend(2)])]);
    expect(plan.reload).toBe(false);
    expect(plan.commands).toEqual(['set server p9000/s2 addr 10.42.0.2 port 8080', 'set server p9000/s2 state ready']);
  });

  it('drains a backend that left the routes and keeps its slot until released', () => {
    const first = applyRoutes(empty, [route([backend(1), backend(2)])]);
    const plan = applyRoutes(first.tables, [route([backend(2), backend(3)])]);
    expect(plan.reload).toBe(false);
    expect(plan.commands).toEqual([
      'set server p9000/s1 state drain',
      'set server p9000/s3 addr 10.42.0.3 port 8080',
      'set server p9000/s3 state ready',
    ]);
    expect(drainingSlots(plan.tables)).toEqual([{ port: 9000, slot: 0, instanceId: 'i1' }]);
    const released = releaseSlot(plan.tables, 9000, 0);
    expect(released.commands).toEqual(['set server p9000/s1 state maint']);
    expect(ids(released.tables)[0]).toBeNull();
    // The freed slot is reused by the next newcomer.
    const next = applyRoutes(released.tables, [route([backend(2), backend(3), backend(4)])]);
    expect(next.commands).toEqual(['set server p9000/s1 addr 10.42.0.4 port 8080', 'set server p9000/s1 state ready']);
  });

  it('an instance back in the routes while draining is made ready again in its slot', () => {
    const first = applyRoutes(empty, [route([backend(1)])]);
    const drained = applyRoutes(first.tables, [route([])]);
    const back = applyRoutes(drained.tables, [route([backend(1)])]);
    expect(back.commands).toEqual(['set server p9000/s1 state ready']);
  });

  it('unchanged routes need nothing', () => {
    const first = applyRoutes(empty, [route([backend(1)])]);
    expect(applyRoutes(first.tables, [route([backend(1)])])).toMatchObject({ commands: [], reload: false });
  });

  it('more backends than slots doubles the slots with a reload', () => {
    const many = Array.from({ length: MIN_SLOTS + 1 }, (_, i) => backend(i + 1));
    const first = applyRoutes(empty, [route([backend(1)])]);
    const plan = applyRoutes(first.tables, [route(many)]);
    expect(plan.reload).toBe(true);
    expect(plan.tables.get(9000)!.shape.capacity).toBe(MIN_SLOTS * 2);
  });

  it('a changed mode or a removed port needs a reload', () => {
    const first = applyRoutes(empty, [route([backend(1)])]);
    expect(applyRoutes(first.tables, [route([backend(1)], { http: false })]).reload).toBe(true);
    expect(applyRoutes(first.tables, []).reload).toBe(true);
  });
});

describe('drainInstance', () => {
  it('drains the instance in every route it serves, and nothing else', () => {
    const tables = applyRoutes(empty, [route([backend(1), backend(2)]), route([backend(1)], { publishPort: 9001 })]).tables;
    const plan = drainInstance(tables, 'i1');
    expect(plan.commands).toEqual(['set server p9000/s1 state drain', 'set server p9001/s1 state drain']);
    expect(drainInstance(plan.tables, 'i1').commands).toEqual([]);
  });
});

describe('drainWaitOver (before an instance is stopped)', () => {
  // i1 serves two ports, i2 one; both drained, as before their containers stop.
  const routed = applyRoutes(empty, [route([backend(1), backend(2)]), route([backend(1)], { publishPort: 9001 })]).tables;
  const draining = drainInstance(drainInstance(routed, 'i1').tables, 'i2').tables;
  const graceMs = 30_000;

  it('waits while a slot of the instance still has sessions, up to its grace period', () => {
    expect(drainWaitOver(draining, 'i1', 0, graceMs)).toBe(false);
    // Past the old fixed 10 s: a grace period of 30 s still waits for the open connections.
    expect(drainWaitOver(draining, 'i1', 12_000, graceMs)).toBe(false);
    expect(drainWaitOver(draining, 'i1', graceMs, graceMs)).toBe(true);
  });

  it('ends as soon as every slot of the instance was released (its sessions reached 0), whatever the others do', () => {
    const oneReleased = releaseSlot(draining, 9000, 0).tables;
    expect(drainWaitOver(oneReleased, 'i1', 100, graceMs)).toBe(false);
    const bothReleased = releaseSlot(oneReleased, 9001, 0).tables;
    expect(drainWaitOver(bothReleased, 'i1', 100, graceMs)).toBe(true);
    expect(drainWaitOver(bothReleased, 'i2', 100, graceMs)).toBe(false);
  });

  it('an instance with no slot on this node (never routed here) and a grace period of 0 do not wait', () => {
    expect(drainWaitOver(draining, 'i9', 0, graceMs)).toBe(true);
    expect(drainWaitOver(draining, 'i1', 0, 0)).toBe(true);
  });
});

describe('renderConfig', () => {
  const tables = applyRoutes(empty, [route([backend(1), backend(2)]), route([backend(3)], { publishPort: 7000, http: false })]).tables;
  const drained = drainInstance(tables, 'i2').tables;
  const config = renderConfig({ adminSocket: '/run/oja/mesh-x/haproxy.sock', bindAddress: '0.0.0.0', tables: drained });

  it('HTTP routes retry failed requests on another instance', () => {
    expect(config).toContain('frontend fe_9000\n  mode http\n  bind 0.0.0.0:9000\n  default_backend p9000');
    expect(config).toContain('backend p9000\n  mode http\n  balance roundrobin\n  retry-on conn-failure empty-response response-timeout\n  server s1');
    expect(config).not.toContain('httpchk');
  });

  it('TCP routes proxy bytes, without HTTP retries', () => {
    expect(config).toMatch(/backend p7000\n {2}mode tcp\n {2}balance roundrobin\n {2}server s1 10\.42\.0\.3:8080 check\n/);
  });

  it('writes slots with their address and state (TCP check each), free slots disabled', () => {
    expect(config).toContain('server s1 10.42.0.1:8080 check\n');
    expect(config).toContain('server s2 10.42.0.2:8080 check weight 0\n');
    expect(config).toContain('server s3 127.0.0.1:1 check disabled\n');
    expect(config.indexOf('fe_7000')).toBeLessThan(config.indexOf('fe_9000'));
    expect(config).toContain('retries 3');
    expect(config).toContain('option redispatch');
    expect(config).toContain('stats socket /run/oja/mesh-x/haproxy.sock mode 600 level admin');
  });
});
