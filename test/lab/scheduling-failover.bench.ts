import { appendFileSync } from 'node:fs';
import { httpdSpec, OverlayCluster } from './overlay-cluster';
import { waitFor } from './processes';
import { containersByHost, measurePartition, waitConverged } from './scheduling-failover';

// The failover bench's lab part (run by test/bench/failover.js, not by the lab tests: no *.lab.ts name). For each
// grace period: a fresh 3-host cluster, N replicas, the host holding the most of them cut off; the measurement is
// appended as one JSON line to OJA_FAILOVER_OUT.
const HOSTS = 3;
const out = process.env.OJA_FAILOVER_OUT;
const graces = (process.env.OJA_FAILOVER_GRACES ?? '10').split(',').map(Number);
const replicas = Number(process.env.OJA_FAILOVER_REPLICAS ?? 6);
/** The node monitor judges silence only this long after the control plane started (grace + agents' reconnect time). */
const MONITOR_WARMUP_SECONDS = 10;

describe('failover bench', () => {
  for (const grace of graces) {
    it(`measures host lost → replacements running with a ${grace} s grace period`, async () => {
      if (!out) throw new Error('OJA_FAILOVER_OUT is not set: run npm run bench -- failover');
      const startedAt = Date.now();
      const cluster = await OverlayCluster.start(HOSTS, { env: { OJA_NODE_GRACE_SECONDS: String(grace) } });
      try {
        const tenant = await cluster.tenant('bench');
        await cluster.deploy(tenant, httpdSpec('web', replicas, 'bench-web'));
        await cluster.waitRunning(tenant, 'web', replicas);
        const byHost = await waitConverged(cluster, HOSTS, tenant, 'web', replicas);
        const host = [...byHost.entries()].sort((a, b) => b[1].length - a[1].length)[0][0];
        const warm = startedAt + (grace + MONITOR_WARMUP_SECONDS + 1) * 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, warm - Date.now())));
        const measured = await measurePartition(cluster, tenant, 'web', replicas, host, grace);
        // Confirmed in the engines: the plan's count runs on the other hosts.
        await waitFor('replacement containers', async () => {
          const now = await containersByHost(cluster, HOSTS, tenant, 'web');
          return [...now.entries()].filter(([n]) => n !== host).flatMap(([, ids]) => ids).length >= replicas;
        }, 60_000);
        appendFileSync(out, `${JSON.stringify(measured)}\n`);
        await cluster.lab.heal(host);
      } finally {
        await cluster.stop();
      }
    });
  }
});
