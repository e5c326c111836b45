import { Inject, Injectable } from '@nestjs/common';
import { INSTANCE_STATES, NODE_STATUSES, ROLLOUT_PHASES } from '@oja/contracts';
import { Gauge, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../metrics/metrics.module';
import { ClusterCountsRepository, type ClusterCounts } from './cluster-counts.repository';
import { cachedFor } from './scrape-cache';

/** Scrapes within this window share one set of queries. */
export const CLUSTER_COUNTS_TTL_MS = 2000;

/**
 * Cluster-wide gauges, counted from Postgres when scraped (never updated on every change, so every replica
 * shows the same numbers). Labels stay bounded: statuses, states, phases and tenant names — no instance ids.
 */
@Injectable()
export class ClusterMetrics {
  constructor(@Inject(METRICS_REGISTRY) registry: Registry, repository: ClusterCountsRepository) {
    const counts = cachedFor(CLUSTER_COUNTS_TTL_MS, () => repository.counts());
    const registers = [registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, c: ClusterCounts) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          // Postgres away: no series rather than a failed scrape (the process metrics still matter then).
          const c = await counts().catch(() => null);
          this.reset();
          if (c) fill(this, c);
        },
      });

    gauge('oja_nodes', 'Nodes by status', ['status'], (g, c) => {
      for (const status of NODE_STATUSES) g.set({ status }, 0);
      for (const { status, count } of c.nodesByStatus) g.set({ status }, count);
    });
    gauge('oja_instances', 'Instances by observed state and tenant', ['state', 'tenant'], (g, c) => {
      const tenants = new Set(c.instancesByTenantState.map((r) => r.tenant));
      for (const tenant of tenants) for (const state of INSTANCE_STATES) g.set({ state, tenant }, 0);
      for (const { tenant, state, count } of c.instancesByTenantState) g.set({ state, tenant }, count);
    });
    gauge('oja_deployments', 'Deployments by tenant', ['tenant'], (g, c) => {
      for (const { tenant, count } of c.deploymentsByTenant) g.set({ tenant }, count);
    });
    gauge('oja_rollouts', 'Deployments by rollout phase (progressing = a rollout or scale is under way)', ['phase'], (g, c) => {
      for (const phase of ROLLOUT_PHASES) g.set({ phase }, 0);
      for (const { phase, count } of c.deploymentsByPhase) g.set({ phase }, count);
    });
  }
}
