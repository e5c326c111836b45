#!/usr/bin/env node
'use strict';
// Container start latency through oja vs the engine alone, on the dockerd of DOCKER_HOST (default
// /var/run/docker.sock; the image oja/busybox:1 must be loaded there): the built control plane (child
// process, fresh database) and the built agent (child process, --no-overlay). Each round applies a new 1-replica
// deployment of `httpd -f -p 8080 -h /www` (oja/busybox:1, no health check, so the instance goes pending → starting →
// running) and then starts the same image and command, with the same limits, by `docker run -d` and by the Engine
// API (create + start): rounds interleave the three so machine load drifts alike over all of them.
// oja: PUT response received → instance `running` seen by polling GET …/instances (every --poll-ms), and the same
// PUT time → the container's State.StartedAt from docker inspect (the engine's own clock, no polling lag).
// docker run: call → the command returned and inspect says Running; and call → State.StartedAt.
// Goals reported against: p50 ≤ docker run p50 + 100 ms; the Kubernetes pod-start SLO, p99 ≤ 5 s.
// Usage: npm run bench -- start-latency [--deployments 30] [--poll-ms 10]
const Docker = require('dockerode');
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { promisify } = require('node:util');
const {
  api, appendResult, parseFlags, printResult, removeLabelledContainers, startAgent, startControlPlane, until,
} = require('./lib');

const IMAGE = 'oja/busybox:1';
const COMMAND = ['httpd', '-f', '-p', '8080', '-h', '/www'];
const RESOURCES = { cpu: 0.05, memoryMb: 32 };
const START_TIMEOUT_MS = 60_000;
const RUNNING = new Set(['running', 'healthy']);

const docker = new Docker();
const execFileP = promisify(execFile);

/** Docker's RFC 3339 time with nanoseconds as epoch milliseconds, keeping the sub-millisecond part. */
function dockerTimeMs(text) {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(text);
  if (!m) throw new Error(`unexpected docker time "${text}"`);
  return Date.parse(`${m[1]}Z`) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

async function startedAtMs(containerId) {
  const { State } = await docker.getContainer(containerId).inspect();
  if (!State.Running) throw new Error(`container ${containerId} is not running: ${JSON.stringify(State)}`);
  return dockerTimeMs(State.StartedAt);
}

/** Nearest-rank percentiles of millisecond samples (with 30 samples, p99 is the slowest). */
function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  const round = (ms) => Math.round(ms * 10) / 10;
  return { p50Ms: round(at(50)), p99Ms: round(at(99)), minMs: round(sorted[0]), maxMs: round(sorted.at(-1)) };
}

/** One deployment through oja: ms from the PUT's answer to `running` seen in the API, and to the engine's StartedAt. */
async function startThroughOja(cp, token, name, pollMs) {
  const spec = { name, image: IMAGE, replicas: 1, command: COMMAND, resources: RESOURCES, stopGracePeriodSeconds: 1 };
  const sent = Date.now();
  await api(cp.baseUrl, 'PUT', `/v1/deployments/${name}`, { token, body: spec });
  const accepted = Date.now();
  let instance;
  await until(`${name} running`, async () => {
    const { items } = await api(cp.baseUrl, 'GET', `/v1/deployments/${name}/instances`, { token });
    instance = items.find((i) => RUNNING.has(i.state));
    return Boolean(instance);
  }, START_TIMEOUT_MS, pollMs);
  const observed = Date.now();
  return { putMs: accepted - sent, observedMs: observed - accepted, startedAtMs: (await startedAtMs(instance.containerId)) - accepted };
}

/** `docker run -d`: ms from the call to the command returning with the container Running, and to its StartedAt. */
async function startWithDockerRun(name, label) {
  const called = Date.now();
  const { stdout } = await execFileP('docker', [
    'run', '-d', '--name', name, '--label', label, '--memory', `${RESOURCES.memoryMb}m`, '--cpus', String(RESOURCES.cpu), IMAGE, ...COMMAND,
  ]);
  const startedAt = await startedAtMs(stdout.trim());
  return { returnedMs: Date.now() - called, startedAtMs: startedAt - called };
}

/** The Engine API as the agent drives it (create, then start): ms from the create call to its StartedAt. */
async function startWithEngineApi(name, label) {
  const called = Date.now();
  const [key, value] = label.split('=');
  const container = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: COMMAND,
    Labels: { [key]: value },
    HostConfig: { Memory: RESOURCES.memoryMb * 2 ** 20, MemorySwap: RESOURCES.memoryMb * 2 ** 20, NanoCpus: RESOURCES.cpu * 1e9 },
  });
  await container.start();
  const returned = Date.now();
  return { returnedMs: returned - called, startedAtMs: (await startedAtMs(container.id)) - called };
}

async function main() {
  const opts = parseFlags(process.argv.slice(2), { deployments: 30, pollMs: 10 });
  await docker.getImage(IMAGE).inspect().catch(() => {
    throw new Error(`image ${IMAGE} is missing from the local dockerd (deploy/lib builds it)`);
  });
  const run = randomBytes(3).toString('hex');
  const rawLabel = `oja.bench=start-latency-${run}`;
  const cp = await startControlPlane();
  let agent;
  let token;
  const deployments = [];
  try {
    ({ token } = await api(cp.baseUrl, 'POST', '/v1/tenants', { token: cp.adminToken, body: { name: `bench-${run}` } }));
    agent = await startAgent(cp, { name: `bench-sl-${run}` });

    const oja = [];
    const dockerRun = [];
    const engineApi = [];
    for (let i = 0; i < opts.deployments; i++) {
      const name = `sl-${run}-${i}`;
      deployments.push(name);
      oja.push(await startThroughOja(cp, token, name, opts.pollMs));
      dockerRun.push(await startWithDockerRun(`oja-bench-run-${run}-${i}`, rawLabel));
      engineApi.push(await startWithEngineApi(`oja-bench-api-${run}-${i}`, rawLabel));
    }

    const ojaObserved = summarize(oja.map((s) => s.observedMs));
    const ojaStarted = summarize(oja.map((s) => s.startedAtMs));
    const runReturned = summarize(dockerRun.map((s) => s.returnedMs));
    const runStarted = summarize(dockerRun.map((s) => s.startedAtMs));
    const figures = {
      deployments: opts.deployments,
      dockerHost: process.env.DOCKER_HOST || 'unix:///var/run/docker.sock',
      healthCheck: false,
      pollMs: opts.pollMs,
      oja: { putMs: summarize(oja.map((s) => s.putMs)), acceptedToRunningObserved: ojaObserved, acceptedToStartedAt: ojaStarted },
      dockerRun: { callToRunning: runReturned, callToStartedAt: runStarted },
      engineApi: { createToStarted: summarize(engineApi.map((s) => s.returnedMs)), createToStartedAt: summarize(engineApi.map((s) => s.startedAtMs)) },
      p50OverDockerRunMs: Math.round((ojaObserved.p50Ms - runReturned.p50Ms) * 10) / 10,
      p50RatioToDockerRun: Math.round((ojaObserved.p50Ms / runReturned.p50Ms) * 100) / 100,
      goalP50WithinDockerRunPlus100Ms: ojaObserved.p50Ms <= runReturned.p50Ms + 100,
      goalP99Within5s: ojaObserved.p99Ms <= 5000,
    };
    const met = (ok) => (ok ? 'met' : 'not met');
    appendResult('start-latency', figures, {
      summary:
        `${opts.deployments} × 1-replica httpd, no health check: oja PUT→running p50 ${ojaObserved.p50Ms} / p99 ${ojaObserved.p99Ms} ms ` +
        `(→StartedAt p50 ${ojaStarted.p50Ms} / p99 ${ojaStarted.p99Ms} ms); docker run p50 ${runReturned.p50Ms} / p99 ${runReturned.p99Ms} ms ` +
        `(→StartedAt p50 ${runStarted.p50Ms}); p50 +${figures.p50OverDockerRunMs} ms, ×${figures.p50RatioToDockerRun} ` +
        `(goal ≤ docker run + 100 ms: ${met(figures.goalP50WithinDockerRunPlus100Ms)}; p99 ≤ 5 s: ${met(figures.goalP99Within5s)})`,
    });
    printResult(figures);
  } finally {
    // Deployments go through the API (the agent stops their containers); agent.stop() sweeps its label for the rest.
    for (const name of token ? deployments : []) {
      await api(cp.baseUrl, 'DELETE', `/v1/deployments/${name}`, { token, expect: [200, 202, 204, 404] }).catch((err) => console.error(err.message));
    }
    if (agent) {
      const left = async () => (await docker.listContainers({ all: true, filters: { label: [`oja.node=${agent.node}`] } })).length;
      await until('the deployments\' containers removed', async () => (await left()) === 0, 60_000).catch((err) => console.error(err.message));
      await agent.stop();
    }
    removeLabelledContainers(rawLabel);
    await cp.stop();
  }
}

main().catch((err) => {
  console.error(`bench start-latency failed: ${err.stack ?? err}`);
  process.exit(1);
});
