#!/usr/bin/env node
// Scheduler throughput, persisted: --instances N placed over --nodes M and written to Postgres the way an
// evaluation writes them. A fresh database gets the real migrations (the built control plane's DataSource), the
// nodes, tenants, deployments and revisions (set-up, not measured); then libs/scheduler places every instance
// in one batch (placementsPerSecondScheduler) and, deployment by deployment, one transaction per deployment under
// the placement lock writes the instances (SchedulingRepository.create: one multi-row INSERT), their
// instance.scheduled events (EventsService.recordAll) and the node generation bumps — the production code, built.
// seconds / placementsPerSecondPersisted cover both phases end to end.
// Build first: npx nx run-many -t build
// Usage: npm run bench -- scheduler [--instances 1000000] [--nodes 5000] [--seed 1]
'use strict';
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { ROOT, appendResult, freshDatabase, ojaEnv, parseFlags, printResult, requireBuilt } = require('./lib');
const { syntheticCluster } = require('./synthetic-cluster');

const flags = parseFlags(process.argv.slice(2), { instances: 1_000_000, nodes: 5000, seed: 1 });
const dist = (...p) => requireBuilt(path.join(ROOT, 'apps', 'control-plane', 'dist', ...p));
const { place } = requireBuilt(path.join(ROOT, 'libs', 'scheduler', 'dist', 'index.js'));
const { createDataSource, migrate } = dist('db', 'data-source.js');
const { SchedulingRepository } = dist('scheduling', 'scheduling.repository.js');
const { EventsService } = dist('events', 'events.service.js');

const SETUP_CHUNK = 5000;
const seconds = (from) => Number(process.hrtime.bigint() - from) / 1e9;

/** Inserts rows column-wise with unnest, `SETUP_CHUNK` at a time. */
async function insertColumns(ds, table, columns, rows) {
  const list = columns.map((c) => c.name).join(', ');
  const args = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  for (let i = 0; i < rows.length; i += SETUP_CHUNK) {
    const chunk = rows.slice(i, i + SETUP_CHUNK);
    await ds.query(`INSERT INTO ${table} (${list}) SELECT * FROM unnest(${args})`, columns.map((c) => chunk.map(c.value)));
  }
}

/** The cluster's nodes, tenants, deployments and revisions, as the API and agents would have left them. */
async function seed(ds, cluster) {
  const { nodes, requests, tenants } = cluster;
  await insertColumns(ds, 'tenants', [
    { name: 'id', type: 'uuid', value: (t) => t.id },
    { name: 'name', type: 'text', value: (t) => t.name },
    { name: 'dedicated', type: 'boolean', value: (t) => t.dedicated },
    { name: 'quota_instances', type: 'int', value: () => 1_000_000 },
    { name: 'quota_cpu', type: 'float8', value: () => 1_000_000 },
    { name: 'quota_memory_mb', type: 'int', value: () => 2_000_000_000 },
  ], tenants);
  await insertColumns(ds, 'nodes', [
    { name: 'id', type: 'uuid', value: (n) => n.id },
    { name: 'name', type: 'text', value: (n) => n.name },
    { name: 'underlay_address', type: 'text', value: (_, i) => `10.0.${i >> 8}.${i & 255}` },
    { name: 'capacity_cpu', type: 'float8', value: (n) => n.capacity.cpu },
    { name: 'capacity_memory_mb', type: 'int', value: (n) => n.capacity.memoryMb },
    { name: 'labels', type: 'jsonb', value: (n) => JSON.stringify(n.labels) },
    { name: 'dedicated_tenant_id', type: 'uuid', value: (n) => n.dedicatedTenantId },
    { name: 'status', type: 'text', value: (n) => n.status },
    { name: 'last_heartbeat_at', type: 'timestamptz', value: () => new Date() },
  ], nodes);
  await insertColumns(ds, 'deployments', [
    { name: 'id', type: 'uuid', value: (r) => r.deploymentId },
    { name: 'tenant_id', type: 'uuid', value: (r) => r.tenantId },
    { name: 'name', type: 'text', value: (_, i) => `dep-${i}` },
    { name: 'replicas', type: 'int', value: (r) => r.count },
    { name: 'current_revision', type: 'int', value: () => 1 },
  ], requests);
  await insertColumns(ds, 'revisions', [
    { name: 'deployment_id', type: 'uuid', value: (r) => r.deploymentId },
    { name: 'number', type: 'int', value: () => 1 },
    {
      name: 'spec', type: 'jsonb',
      value: (r, i) => JSON.stringify({
        name: `dep-${i}`, image: 'oja/busybox:1', replicas: r.count, resources: r.resources,
        placement: { strategy: r.strategy, constraints: r.constraints },
        update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, autoRollback: true },
      }),
    },
  ], requests);
}

/** One evaluation's writes for one deployment's placements, in its own transaction, as SchedulingService does them. */
async function persistDeployment(ds, repository, events, request, nodeIds, reason, nodeNames) {
  await ds.transaction(async (tx) => {
    await repository.lockPlacement(tx);
    const created = await repository.create(tx, request.deploymentId, 1, nodeIds, reason);
    const placed = created.filter((c) => c.nodeId);
    await events.recordAll(
      placed.map(({ id, nodeId }) => ({
        deploymentId: request.deploymentId, tenantId: request.tenantId, nodeId, instanceId: id,
        type: 'instance.scheduled', message: `scheduled on node ${nodeNames.get(nodeId)}`,
      })),
      tx,
    );
    if (created.length > placed.length) {
      await events.recordAll([{ deploymentId: request.deploymentId, tenantId: request.tenantId, type: 'instance.pending', message: `pending: ${reason}` }], tx);
    }
    await repository.bumpNodeGenerations(tx, [...new Set(placed.map((p) => p.nodeId))]);
  });
}

async function main() {
  const instances = Math.floor(flags.instances);
  const nodeCount = Math.floor(flags.nodes);
  const ids = new Map();
  const uuidFor = (key) => ids.get(key) ?? ids.set(key, randomUUID()).get(key);
  const cluster = syntheticCluster({ instances, nodes: nodeCount, seed: flags.seed, nodeId: (i) => uuidFor(`node-${i}`), tenantId: uuidFor });
  for (const r of cluster.requests) r.deploymentId = uuidFor(r.deploymentId);
  const nodeNames = new Map(cluster.nodes.map((n) => [n.id, n.name]));

  const database = await freshDatabase(ojaEnv());
  const ds = createDataSource({ databaseUrl: database.url }, 4);
  try {
    await ds.initialize();
    await migrate(ds);
    const setupFrom = process.hrtime.bigint();
    await seed(ds, cluster);
    console.log(`set-up: ${nodeCount} nodes, ${cluster.tenants.length} tenants, ${cluster.requests.length} deployments in ${seconds(setupFrom).toFixed(1)}s`);

    const repository = new SchedulingRepository(ds);
    const events = new EventsService(ds, { eventRetentionDays: 7 });
    const from = process.hrtime.bigint();
    const result = place(cluster.nodes, cluster.requests);
    const schedulerSeconds = seconds(from);

    // place() returns each request's placements contiguously, in request order.
    const unplacedBy = new Map(result.unplaced.map((u) => [u.deploymentId, u]));
    let offset = 0;
    for (const request of cluster.requests) {
      const unplaced = unplacedBy.get(request.deploymentId);
      const placedCount = request.count - (unplaced?.count ?? 0);
      const nodeIds = result.placements.slice(offset, offset + placedCount).map((p) => p.nodeId);
      offset += placedCount;
      await persistDeployment(ds, repository, events, request, [...nodeIds, ...Array(unplaced?.count ?? 0).fill(null)], unplaced?.reason ?? null, nodeNames);
    }
    const totalSeconds = seconds(from);

    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM instances WHERE node_id IS NOT NULL`);
    if (n !== result.placements.length) throw new Error(`persisted ${n} placed instances, scheduler placed ${result.placements.length}`);
    // What every later evaluation pays to read capacity (an aggregate over all running instances) at this size.
    const readFrom = process.hrtime.bigint();
    let capacityReadSeconds;
    try {
      await ds.transaction((tx) => repository.nodes(tx));
      capacityReadSeconds = Number(seconds(readFrom).toFixed(3));
    } catch (err) {
      capacityReadSeconds = `failed after ${seconds(readFrom).toFixed(1)}s: ${err.message}`;
    }

    const figures = {
      nodes: nodeCount,
      instances,
      deployments: cluster.requests.length,
      placed: result.placements.length,
      unplaced: instances - result.placements.length,
      seconds: Number(totalSeconds.toFixed(3)),
      schedulerSeconds: Number(schedulerSeconds.toFixed(3)),
      placementsPerSecondPersisted: Math.round(result.placements.length / totalSeconds),
      placementsPerSecondScheduler: Math.round(result.placements.length / schedulerSeconds),
      capacityReadSeconds,
    };
    console.log(`placed ${figures.placed} of ${instances} over ${nodeCount} nodes and persisted them in ${figures.seconds}s (scheduler ${figures.schedulerSeconds}s)`);
    appendResult('scheduler', figures, {
      summary: `${instances} instances over ${nodeCount} nodes placed by libs/scheduler and persisted per deployment (multi-row INSERT + events) in Postgres`,
    });
    printResult(figures);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await database.drop();
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
