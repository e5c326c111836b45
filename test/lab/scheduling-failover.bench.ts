import { appendFileSync } from 'node:fs';
import { httpdSpec, OverlayCluster } from './overlay-cluster';
import { waitFor } from './processes';
import { containersByHost, measurePartition, waitConverged } from './scheduling-failover';

// The failover bench's lab part (run by test/bench/failover.js, not by the lab tests: no *.lab.ts name). One 3-host
// cluster with N replicas; for each grace period (the control plane restarted with it) the host holding the most
// replicas is cut off, measured, healed and the cluster converged again, OJA_FAILOVER_RUNS times (where the cut falls
// between two heartbeats varies the figure by up to the 2 s heartbeat interval). Each measurement is appended as one
// JSON line to OJA_FAILOVER_OUT as soon as it is taken.
const HOSTS = 3;
const out = process.env.OJA_FAILOVER_OUT;
const graces = (process.env.OJA_FAILOVER_GRACES ?? '10').split(',').map(Number);
const replicas = Number(process.env.OJA_FAILOVER_REPLICAS ?? 6);
const runs = Number(process.env.OJA_FAILOVER_RUNS ?? 1);
/** The node monitor judges silence only this long after the control plane started (grace + agents' reconnect time). */
const MONITOR_WARMUP_SECONDS = 10;
const HEARTBEAT_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

describe('failover bench', () => {
  it(`measures host lost → replacements running with grace periods of ${graces.join(', ')} s`, async () => {
    if (!out) throw new Error('OJA_FAILOVER_OUT is not set: run npm run bench -- failover');
    let startedAt = Date.now();
    const cluster = await OverlayCluster.start(HOSTS, { env: { OJA_NODE_GRACE_SECONDS: String(graces[0]) } });
    try {
      const tenant = await cluster.tenant('bench');
      await cluster.deploy(tenant, httpdSpec('web', replicas, 'bench-web'));
      await cluster.waitRunning(tenant, 'web', replicas);
      for (const [k, grace] of graces.entries()) {
        if (k > 0) {
          startedAt = Date.now();
          await cluster.restartControlPlane('SIGTERM', { OJA_NODE_GRACE_SECONDS: String(grace) });
          // Every agent back on the new control plane (heartbeating since the restart) before a host is cut.
          await waitFor('every agent heartbeating again', async () => {
            const nodes: { status: string; lastHeartbeatAt: string | null }[] = (await cluster.api('GET', '/v1/nodes')).body.items;
            return nodes.length === HOSTS && nodes.every((n) => n.status === 'ready' && Date.parse(n.lastHeartbeatAt ?? '') > startedAt);
          }, 90_000);
        }
        for (let run = 0; run < runs; run++) {
          const byHost = await waitConverged(cluster, HOSTS, tenant, 'web', replicas);
          const host = [...byHost.entries()].sort((a, b) => b[1].length - a[1].length)[0][0];
          await sleep(startedAt + (grace + MONITOR_WARMUP_SECONDS + 1) * 1000 - Date.now()); // a no-op after the first run
          await sleep(Math.random() * HEARTBEAT_SECONDS * 1000); // the cut falls anywhere between two heartbeats
          const measured = await measurePartition(cluster, tenant, 'web', replicas, host, grace);
          appendFileSync(out, `${JSON.stringify(measured)}\n`);
          // Confirmed in the engines: the plan's count runs on the other hosts.
          await waitFor('replacement containers', async () => {
            const now = await containersByHost(cluster, HOSTS, tenant, 'web');
            return [...now.entries()].filter(([n]) => n !== host).flatMap(([, ids]) => ids).length >= replicas;
          }, 60_000);
          await cluster.lab.heal(host);
          await waitFor(`host ${host} ready again`, async () => (await cluster.node(host))?.status === 'ready', 90_000);
          await waitConverged(cluster, HOSTS, tenant, 'web', replicas, [host]);
        }
      }
    } finally {
      await cluster.stop();
    }
  });
});
