#!/usr/bin/env node
'use strict';
// Rolling update under load through the routing mesh on this host: the built control plane (child process, fresh
// database) and the built agent (its HAProxy on 127.0.0.1), busybox httpd replicas answering their version.
// autocannon sends a fixed rate to the mesh port in steady state, then during a v1 → v2 rollout.
// Figures: achieved request rate, failed requests (errors, timeouts, non-2xx), p99 latency steady vs rollout,
// rollout duration (PUT to: complete, and only v2 answering).
// Usage: npm run bench -- rollout [--rate 300] [--replicas 3] [--steady-seconds 10] [--connections 10]
const autocannon = require('autocannon');
const { randomBytes } = require('node:crypto');
const net = require('node:net');
const { api, appendResult, parseFlags, printResult, sleep, startAgent, startControlPlane, until } = require('./lib');

const ROLLOUT_TIMEOUT_MS = 300_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** autocannon at a fixed rate until stop() (or maxSeconds); figures in ms. */
function fire(port, opts, maxSeconds) {
  const instance = autocannon({ url: `http://127.0.0.1:${port}/`, connections: opts.connections, overallRate: opts.rate, duration: maxSeconds });
  const done = new Promise((resolve, reject) => instance.on('done', resolve).on('error', reject));
  return {
    stop: async () => {
      instance.stop();
      const r = await done;
      const seconds = r.duration;
      return {
        requests: r.requests.total,
        ratePerSecond: Math.round(r.requests.total / seconds),
        failed: r.errors + r.timeouts + r.non2xx,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        seconds: Math.round(seconds * 10) / 10,
      };
    },
  };
}

async function main() {
  const opts = parseFlags(process.argv.slice(2), { rate: 300, replicas: 3, steadySeconds: 10, connections: 10 });
  const run = randomBytes(3).toString('hex');
  const publish = await freePort();
  const cp = await startControlPlane();
  let agent;
  try {
    const { token } = await api(cp.baseUrl, 'POST', '/v1/tenants', { token: cp.adminToken, body: { name: `bench-${run}` } });
    agent = await startAgent(cp, { name: `bench-rollout-${run}` });

    const name = `site-${run}`;
    const spec = (version) => ({
      name,
      image: 'oja/busybox:1',
      replicas: opts.replicas,
      command: ['sh', '-c', 'echo "$VERSION" > /www/index.html; exec httpd -f -p 8080 -h /www'],
      env: { VERSION: version },
      ports: [{ name: 'http', container: 8080, publish }],
      resources: { cpu: 0.05, memoryMb: 32 },
      health: { http: { path: '/', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
      update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 120, autoRollback: true },
      stopGracePeriodSeconds: 2,
    });
    const put = (version) => api(cp.baseUrl, 'PUT', `/v1/deployments/${name}`, { token, body: spec(version) });
    const complete = (revision) => async () => {
      const d = await api(cp.baseUrl, 'GET', `/v1/deployments/${name}`, { token });
      const { items } = await api(cp.baseUrl, 'GET', `/v1/deployments/${name}/instances`, { token });
      return d.revision === revision && d.status.phase === 'complete' && items.length === opts.replicas && items.every((i) => i.revision === revision && i.state === 'healthy');
    };
    const answersOnly = (body) => async () => {
      for (let i = 0; i < 20; i++) if ((await (await fetch(`http://127.0.0.1:${publish}/`)).text()).trim() !== body) return false;
      return true;
    };

    await put('v1');
    await until('v1 rolled out', complete(1), ROLLOUT_TIMEOUT_MS);
    await until('the mesh answering v1', answersOnly('v1'), 60_000);

    const steadyLoad = fire(publish, opts, opts.steadySeconds);
    await sleep(opts.steadySeconds * 1000);
    const steady = await steadyLoad.stop();

    const rolloutLoad = fire(publish, opts, ROLLOUT_TIMEOUT_MS / 1000);
    const started = Date.now();
    await put('v2');
    await until('v2 rolled out', complete(2), ROLLOUT_TIMEOUT_MS);
    const rolloutSeconds = (Date.now() - started) / 1000;
    await until('the mesh answering only v2', answersOnly('v2'), 60_000);
    const rollout = await rolloutLoad.stop();

    const figures = {
      replicas: opts.replicas,
      askedRate: opts.rate,
      rolloutSeconds: Math.round(rolloutSeconds * 10) / 10,
      steady,
      rollout,
      failedRequests: rollout.failed,
    };
    appendResult('rollout', figures, {
      summary:
        `${opts.replicas} replicas v1→v2 through the mesh in ${figures.rolloutSeconds} s at ${rollout.ratePerSecond} req/s (asked ${opts.rate}): ` +
        `${rollout.failed} failed; p99 ${rollout.p99Ms} ms during vs ${steady.p99Ms} ms steady`,
    });
    printResult(figures);
  } finally {
    if (agent) await agent.stop();
    await cp.stop();
  }
}

main().catch((err) => {
  console.error(`bench rollout failed: ${err.stack ?? err}`);
  process.exit(1);
});
