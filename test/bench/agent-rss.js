#!/usr/bin/env node
'use strict';
// The agent's memory on this host: the built control plane (child process, fresh database) and the built agent (child
// process, --no-overlay, capacity flags large enough for the load), the dockerd of DOCKER_HOST
// (default /var/run/docker.sock; oja/busybox:1 loaded there). RSS read from /proc: VmRSS and
// smaps_rollup's Pss of the agent process, idle (registered, then settled) and with --replicas containers running
// (one deployment of busybox httpd with tiny resources), each sampled several times after settling. Processes the
// agent spawned (its routing mesh's HAProxy; no wireguard-go with --no-overlay) are reported apart, by command.
// Goal reported against: agent RSS ≤ 80 MB with 50 containers (a k3s agent takes ~275 MB).
// Usage: npm run bench -- agent-rss [--replicas 50] [--settle-seconds 10] [--samples 5]
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const { api, appendResult, median, parseFlags, printResult, sleep, startAgent, startControlPlane, until } = require('./lib');

const RUNNING_TIMEOUT_MS = 300_000;
const MB = 1024; // /proc reports kB

/** `Key:   123 kB` lines of a /proc file as kB numbers. */
function procKb(file) {
  const out = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** Every process below pid, by walking the parent links in /proc/<pid>/stat. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const found = [];
  const walk = (p) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(pid);
  return found;
}

/** One reading: the agent's VmRSS / Pss / VmHWM, and the RSS of what it spawned summed by command. */
function sample(pid) {
  const status = procKb(`/proc/${pid}/status`);
  const rollup = procKb(`/proc/${pid}/smaps_rollup`);
  const spawned = {};
  for (const child of descendants(pid)) {
    try {
      const command = readFileSync(`/proc/${child}/comm`, 'utf8').trim();
      const rss = procKb(`/proc/${child}/status`).VmRSS ?? 0;
      spawned[command] = spawned[command] ?? { processes: 0, rssKb: 0 };
      spawned[command].processes += 1;
      spawned[command].rssKb += rss;
    } catch {
      // exited while we looked
    }
  }
  return { rssKb: status.VmRSS, pssKb: rollup.Pss, hwmKb: status.VmHWM, spawned };
}

async function samples(pid, opts) {
  await sleep(opts.settleSeconds * 1000);
  const taken = [];
  for (let i = 0; i < opts.samples; i++) {
    if (i) await sleep(1000);
    taken.push(sample(pid));
  }
  const mb = (kb) => Math.round((kb / MB) * 10) / 10;
  const last = taken.at(-1);
  return {
    rssMb: mb(median(taken.map((s) => s.rssKb))),
    rssMaxMb: mb(Math.max(...taken.map((s) => s.rssKb))),
    pssMb: mb(median(taken.map((s) => s.pssKb))),
    peakRssMb: mb(last.hwmKb),
    spawned: Object.fromEntries(Object.entries(last.spawned).map(([c, s]) => [c, { processes: s.processes, rssMb: mb(s.rssKb) }])),
  };
}

function containersOf(node) {
  return execFileSync('docker', ['ps', '-q', '--filter', `label=oja.node=${node}`], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

async function main() {
  const opts = parseFlags(process.argv.slice(2), { replicas: 50, settleSeconds: 10, samples: 5 });
  const run = randomBytes(3).toString('hex');
  const resources = { cpu: 0.01, memoryMb: 8 };
  const cp = await startControlPlane();
  let agent;
  let token;
  const name = `rss-${run}`;
  try {
    ({ token } = await api(cp.baseUrl, 'POST', '/v1/tenants', { token: cp.adminToken, body: { name: `bench-${run}` } }));
    agent = await startAgent(cp, {
      name: `bench-rss-${run}`,
      args: ['--capacity-cpu', String(Math.max(1, opts.replicas * resources.cpu * 2)), '--capacity-memory-mb', String(opts.replicas * resources.memoryMb * 2)],
    });
    const idle = await samples(agent.pid, opts);
    console.log(`idle: ${JSON.stringify(idle)}`);

    const applied = Date.now();
    await api(cp.baseUrl, 'PUT', `/v1/deployments/${name}`, {
      token,
      body: { name, image: 'oja/busybox:1', replicas: opts.replicas, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], resources, stopGracePeriodSeconds: 1 },
    });
    await until(`${opts.replicas} instances running`, async () => {
      const { items } = await api(cp.baseUrl, 'GET', `/v1/deployments/${name}/instances`, { token });
      return items.filter((i) => i.state === 'running').length === opts.replicas;
    }, RUNNING_TIMEOUT_MS, 500);
    const allRunningSeconds = Math.round((Date.now() - applied) / 100) / 10;
    const containers = containersOf(agent.node);
    if (containers !== opts.replicas) throw new Error(`dockerd runs ${containers} containers of ${agent.node}, expected ${opts.replicas}`);
    const loaded = await samples(agent.pid, opts);

    const figures = {
      containers,
      dockerHost: process.env.DOCKER_HOST || 'unix:///var/run/docker.sock',
      allRunningSeconds,
      settleSeconds: opts.settleSeconds,
      samples: opts.samples,
      idle,
      loaded,
      goalLoadedRssWithin80Mb: loaded.rssMb <= 80,
    };
    const spawned = Object.entries(loaded.spawned).map(([c, s]) => `${c} ×${s.processes} ${s.rssMb} MB`).join(', ') || 'none';
    appendResult('agent-rss', figures, {
      summary:
        `agent (--no-overlay) RSS idle ${idle.rssMb} MB, with ${containers} containers ${loaded.rssMb} MB (Pss ${loaded.pssMb}, peak ${loaded.peakRssMb}) ` +
        `(goal ≤ 80 MB: ${figures.goalLoadedRssWithin80Mb ? 'met' : 'not met'}); spawned: ${spawned}`,
    });
    printResult(figures);
  } finally {
    if (token) {
      await api(cp.baseUrl, 'DELETE', `/v1/deployments/${name}`, { token, expect: [200, 202, 204, 404] }).catch((err) => console.error(err.message));
      if (agent) await until('the deployment\'s containers stopped', async () => containersOf(agent.node) === 0, 60_000).catch((err) => console.error(err.message));
    }
    if (agent) await agent.stop();
    await cp.stop();
  }
}

main().catch((err) => {
  console.error(`bench agent-rss failed: ${err.stack ?? err}`);
  process.exit(1);
});
