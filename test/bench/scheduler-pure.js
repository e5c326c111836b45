#!/usr/bin/env node
// Pure scheduler throughput: places --instances N over --nodes M in one place() batch, no I/O.
// Build first: npx tsc -p libs/scheduler/tsconfig.lib.json
// Usage: npm run bench -- scheduler-pure [--instances 1000000] [--nodes 5000] [--seed 1]
// Prints a human summary, then the figures as one JSON object on the last line, and appends a row to
// docs/benchmarks.md.
'use strict';
const path = require('node:path');
const { ROOT, appendResult, parseFlags, printResult, requireBuilt } = require('./lib');

const flags = parseFlags(process.argv.slice(2), { instances: 1_000_000, nodes: 5000, seed: 1 });
const { place } = requireBuilt(path.join(ROOT, 'libs', 'scheduler', 'dist', 'index.js'));
const instances = Math.floor(flags.instances);
const nodeCount = Math.floor(flags.nodes);
const random = mulberry32(flags.seed);

// Deterministic PRNG so runs are comparable.
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
const pick = (items) => items[Math.floor(random() * items.length)];

// A cluster: three zones, two disk types, three machine sizes, ~1% of nodes dedicated to a few tenants.
const DEDICATED_TENANTS = ['tenant-d0', 'tenant-d1', 'tenant-d2', 'tenant-d3'];
const SIZES = [
  { cpu: 32, memoryMb: 131072 },
  { cpu: 64, memoryMb: 262144 },
  { cpu: 96, memoryMb: 393216 },
];
const nodes = Array.from({ length: nodeCount }, (_, i) => ({
  id: `node-${String(i).padStart(6, '0')}`,
  name: `n${i}`,
  status: random() < 0.01 ? 'down' : random() < 0.01 ? 'draining' : 'ready',
  capacity: pick(SIZES),
  allocated: { cpu: 0, memoryMb: 0 },
  labels: { zone: pick(['a', 'b', 'c']), disk: random() < 0.3 ? 'ssd' : 'hdd' },
  dedicatedTenantId: i % 100 === 7 ? DEDICATED_TENANTS[(i / 100) % DEDICATED_TENANTS.length | 0] : null,
}));

// Deployments: ~200 instances on average (a long tail: many small, a few large), 500 shared tenants.
const requests = [];
let remaining = instances;
for (let d = 0; remaining > 0; d++) {
  const count = Math.min(remaining, Math.max(1, Math.round(-Math.log(1 - random()) * 200)));
  remaining -= count;
  const dedicated = d % 50 === 0;
  const roll = random();
  requests.push({
    deploymentId: `dep-${d}`,
    tenantId: dedicated ? DEDICATED_TENANTS[(d / 50) % DEDICATED_TENANTS.length | 0] : `tenant-${d % 500}`,
    tenantDedicated: dedicated,
    count,
    resources: { cpu: pick([0.05, 0.1, 0.1, 0.25, 0.5]), memoryMb: pick([32, 64, 64, 128, 256, 512]) },
    strategy: random() < 0.8 ? 'spread' : 'binpack',
    constraints: roll < 0.1 ? [`label.zone == ${pick(['a', 'b', 'c'])}`] : roll < 0.15 ? ['label.disk == ssd', 'label.zone != c'] : [],
    existingPerNode: {},
  });
}

const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const result = place(nodes, requests);
const cpu = process.cpuUsage(cpuBefore);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const unplaced = result.unplaced.reduce((sum, u) => sum + u.count, 0);
if (result.placements.length + unplaced !== instances) {
  console.error(`placed ${result.placements.length} + unplaced ${unplaced} != requested ${instances}`);
  process.exit(1);
}
const figures = {
  nodes: nodeCount,
  instances,
  deployments: requests.length,
  placed: result.placements.length,
  unplaced,
  seconds: Number(seconds.toFixed(3)),
  // CPU time of this process: steadier than wall time when the machine is busy.
  cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
  placementsPerSecondScheduler: Math.round(result.placements.length / seconds),
  rssMb: Math.round(process.memoryUsage().rss / 1048576),
};
console.log(
  `placed ${figures.placed} of ${instances} instances (${requests.length} deployments) over ${nodeCount} nodes in ${figures.seconds}s` +
    (result.unplaced.length ? `; first unplaced: ${result.unplaced[0].deploymentId}: ${result.unplaced[0].reason}` : ''),
);
appendResult('scheduler-pure', figures, { summary: `pure place() of ${instances} instances over ${nodeCount} nodes` });
printResult(figures);
