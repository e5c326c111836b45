#!/usr/bin/env node
'use strict';
// API latency at fixed rates against the built control plane (child process on 127.0.0.1, fresh database):
// PUT /v1/deployments/<name> alternating two specs over many names, then GET /v1/deployments/<name>.
// Usage: npm run bench -- api [--put-rate 500] [--get-rate 1000] [--seconds 10] [--names 200] [--tenants 1] [--connections 32]
//   [--unchanged-share 0.9] (realistic mix: that share of the PUTs re-apply the current spec, the rest change it;
//   default 0: every PUT changes the spec, so each makes a revision and an evaluation — the headline scenario)
//   [--node-flags "-r /path/to/profiler.js"] (extra flags for the control plane's node) [--record no] (no row in docs/benchmarks.md)
// Goal reported against: mutating p99 <= 50 ms at 500 req/s. `--tenants N` spreads the names over N tenants
// (applies of one tenant serialize on its row lock, so this shows how much of the latency that lock is).
const { readdirSync, readFileSync } = require('node:fs');
const autocannon = require('autocannon');
const { api, appendResult, machine, parseFlags, printResult, startControlPlane } = require('./lib');

const PUT_P99_GOAL_MS = 50;

async function main() {
  const opts = parseFlags(process.argv.slice(2), { putRate: 500, getRate: 1000, seconds: 10, names: 200, tenants: 1, connections: 32, nodeFlags: '', record: 'yes', unchangedShare: 0 });
  if (opts.unchangedShare >= 1) throw new Error('--unchanged-share must be below 1');
  const cp = await startControlPlane({ nodeArgs: opts.nodeFlags.split(/\s+/).filter(Boolean) });
  try {
    const tokens = [];
    for (let t = 0; t < opts.tenants; t++) {
      const created = await api(cp.baseUrl, 'POST', '/v1/tenants', {
        token: cp.adminToken,
        body: { name: `bench-${t}`, quota: { instances: 1_000_000, cpu: 100_000, memoryMb: 1_000_000_000 } },
      });
      tokens.push(created.token);
    }
    const names = Array.from({ length: opts.names }, (_, i) => `bench-${i}`);
    const tokenOf = (nameIndex) => tokens[nameIndex % tokens.length];
    const auth = (req, nameIndex) => ({ ...req.headers, authorization: `Bearer ${tokenOf(nameIndex)}` });
    const spec = (name, variant) => ({
      name,
      image: `oja/busybox:${variant}`,
      replicas: 1,
      command: ['httpd', '-f', '-p', '8080'],
      env: { VARIANT: String(variant) },
      ports: [{ name: 'http', container: 8080 }],
      resources: { cpu: 0.01, memoryMb: 8 },
    });
    // Every deployment exists before measuring, so the PUTs are updates that alternate specs (a new revision each).
    for (const [i, name] of names.entries()) await api(cp.baseUrl, 'PUT', `/v1/deployments/${name}`, { token: tokenOf(i), body: spec(name, 1) });

    // Which variant each name was last sent; a change flips it, an unchanged re-apply sends it again.
    const variants = names.map(() => 1);
    const changeEvery = Math.round(1e6 / (1 - opts.unchangedShare)) / 1e6; // 0.9 → 10, not 9.999…
    let putCount = 0;
    const put = await fire(cp, opts, opts.putRate, {
      method: 'PUT',
      setupRequest: (req) => {
        const i = putCount++;
        const n = i % names.length;
        const round = Math.floor(i / names.length);
        // With share s unchanged, every 1/(1-s)-th round of a name changes it.
        if (Math.floor((round + 1) / changeEvery) > Math.floor(round / changeEvery)) variants[n] = 3 - variants[n];
        return { ...req, headers: auth(req, n), path: `/v1/deployments/${names[n]}`, body: JSON.stringify(spec(names[n], variants[n])) };
      },
    });
    let getCount = 0;
    const get = await fire(cp, opts, opts.getRate, {
      method: 'GET',
      setupRequest: (req) => {
        const n = getCount++ % names.length;
        return { ...req, headers: auth(req, n), path: `/v1/deployments/${names[n]}` };
      },
    });

    const figures = {
      bench: 'api',
      seconds: opts.seconds,
      names: opts.names,
      tenants: opts.tenants,
      unchangedShare: opts.unchangedShare,
      put,
      get,
      goal: { putP99Ms: PUT_P99_GOAL_MS, met: put.p99Ms <= PUT_P99_GOAL_MS && put.errors === 0 && put.non2xx === 0 },
      machine: machine(),
    };
    for (const [verb, r] of [['PUT', put], ['GET', get]]) {
      const cpu = r.cpuMsPerRequest ? `; CPU ms/request: control plane ${r.cpuMsPerRequest.controlPlane}, postgres ${r.cpuMsPerRequest.postgres}` : '';
      console.log(`${verb} ${r.rate}/s: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.throughput} req/s, ${r.errors} errors, ${r.non2xx} non-2xx${cpu}`);
    }
    console.log(`goal PUT p99 <= ${PUT_P99_GOAL_MS} ms at ${put.rate}/s: ${figures.goal.met ? 'met' : 'NOT met'}`);
    if (opts.record !== 'no') appendResult('api', { tenants: opts.tenants, unchangedShare: opts.unchangedShare, put, get, goalMet: figures.goal.met }, {
      summary: `${opts.tenants} tenant(s)${mixLabel(opts)}: PUT ${put.rate}/s p99 ${put.p99Ms} ms (goal ≤ ${PUT_P99_GOAL_MS}: ${figures.goal.met ? 'met' : 'not met'}); GET ${get.rate}/s p99 ${get.p99Ms} ms`,
    });
    printResult(figures);
  } finally {
    await cp.stop();
  }
}

function mixLabel(opts) {
  return opts.unchangedShare > 0 ? `, REALISTIC MIX ${Math.round(opts.unchangedShare * 100)}% unchanged re-applies` : ', every PUT a change';
}

/**
 * autocannon at a fixed overall rate for the given seconds; latency figures in ms. Also the CPU time per request
 * of the control plane and of its Postgres backends: unlike latency, that hardly moves with the machine's load.
 */
async function fire(cp, opts, rate, request) {
  const cpuBefore = cpuMs(cp);
  const result = await autocannon({
    url: cp.baseUrl,
    connections: opts.connections,
    overallRate: rate,
    duration: opts.seconds,
    headers: { 'content-type': 'application/json' },
    requests: [request],
  });
  return {
    rate,
    requests: result.requests.total,
    throughput: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ...cpuMsPerRequest(cpuBefore, cpuMs(cp), result.requests.total),
  };
}

const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU milliseconds used so far by the control plane and by the Postgres backends of its database (Linux /proc). */
function cpuMs(cp) {
  const ticks = (pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS; // utime + stime
  };
  try {
    let postgres = 0;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${cp.database.name} `)) postgres += ticks(pid);
      } catch {
        // gone meanwhile
      }
    }
    return { controlPlane: ticks(cp.pid), postgres };
  } catch {
    return undefined; // not Linux
  }
}

function cpuMsPerRequest(before, after, requests) {
  if (!before || !after || requests === 0) return {};
  const per = (key) => Math.round(((after[key] - before[key]) / requests) * 100) / 100;
  return { cpuMsPerRequest: { controlPlane: per('controlPlane'), postgres: per('postgres') } };
}

main().catch((err) => {
  console.error(`bench api failed: ${err.stack ?? err}`);
  process.exit(1);
});
