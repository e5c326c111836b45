#!/usr/bin/env node
// Pure scheduler throughput: places --instances N over --nodes M in one place() batch, no I/O.
// Build first: npx tsc -p libs/scheduler/tsconfig.lib.json
// Usage: npm run bench -- scheduler-pure [--instances 1000000] [--nodes 5000] [--seed 1]
// Prints a human summary, then the figures as one JSON object on the last line, and appends a row to
// docs/benchmarks.md.
'use strict';
const path = require('node:path');
const { ROOT, appendResult, parseFlags, printResult, requireBuilt } = require('./lib');
const { syntheticCluster } = require('./synthetic-cluster');

const flags = parseFlags(process.argv.slice(2), { instances: 1_000_000, nodes: 5000, seed: 1 });
const { place } = requireBuilt(path.join(ROOT, 'libs', 'scheduler', 'dist', 'index.js'));
const instances = Math.floor(flags.instances);
const nodeCount = Math.floor(flags.nodes);
const { nodes, requests } = syntheticCluster({ instances, nodes: nodeCount, seed: flags.seed });

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
