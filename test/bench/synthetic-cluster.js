'use strict';
// A deterministic synthetic cluster and workload for the scheduler benches (scheduler-pure, scheduler).

/** Deterministic PRNG so runs are comparable. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEDICATED_TENANTS = ['tenant-d0', 'tenant-d1', 'tenant-d2', 'tenant-d3'];
const SHARED_TENANTS = 500;
const SIZES = [
  { cpu: 32, memoryMb: 131072 },
  { cpu: 64, memoryMb: 262144 },
  { cpu: 96, memoryMb: 393216 },
];

/**
 * Three zones, two disk types, three machine sizes, ~1% down, ~1% draining, 1% of nodes dedicated to 4 tenants;
 * deployments of ~200 instances on average (exponential: many small, a few large) over 500 shared tenants,
 * 20% binpack, 15% with constraints, 2% of a dedicated tenant. Ids are the given functions' (names by default).
 * Returns scheduler inputs: `nodes` (SchedulerNode[]), `requests` (PlacementRequest[]) and `tenants` ({id, name, dedicated}).
 */
function syntheticCluster({ instances, nodes: nodeCount, seed, nodeId = (i) => `node-${String(i).padStart(6, '0')}`, tenantId = (name) => name }) {
  const random = mulberry32(seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const tenants = [
    ...DEDICATED_TENANTS.map((name) => ({ id: tenantId(name), name, dedicated: true })),
    ...Array.from({ length: SHARED_TENANTS }, (_, i) => ({ id: tenantId(`tenant-${i}`), name: `tenant-${i}`, dedicated: false })),
  ];
  const dedicatedId = (i) => tenants[i % DEDICATED_TENANTS.length].id;

  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    id: nodeId(i),
    name: `n${i}`,
    status: random() < 0.01 ? 'down' : random() < 0.01 ? 'draining' : 'ready',
    capacity: pick(SIZES),
    allocated: { cpu: 0, memoryMb: 0 },
    labels: { zone: pick(['a', 'b', 'c']), disk: random() < 0.3 ? 'ssd' : 'hdd' },
    dedicatedTenantId: i % 100 === 7 ? dedicatedId((i / 100) | 0) : null,
  }));

  const requests = [];
  let remaining = instances;
  for (let d = 0; remaining > 0; d++) {
    const count = Math.min(remaining, Math.max(1, Math.round(-Math.log(1 - random()) * 200)));
    remaining -= count;
    const dedicated = d % 50 === 0;
    const roll = random();
    requests.push({
      deploymentId: `dep-${d}`,
      tenantId: dedicated ? dedicatedId((d / 50) | 0) : tenants[DEDICATED_TENANTS.length + (d % SHARED_TENANTS)].id,
      tenantDedicated: dedicated,
      count,
      resources: { cpu: pick([0.05, 0.1, 0.1, 0.25, 0.5]), memoryMb: pick([32, 64, 64, 128, 256, 512]) },
      strategy: random() < 0.8 ? 'spread' : 'binpack',
      constraints: roll < 0.1 ? [`label.zone == ${pick(['a', 'b', 'c'])}`] : roll < 0.15 ? ['label.disk == ssd', 'label.zone != c'] : [],
      existingPerNode: {},
    });
  }
  return { nodes, requests, tenants };
}

module.exports = { syntheticCluster, mulberry32 };
