'use strict';
// Shared helpers for benches (plain CommonJS; benches run against BUILT packages: npx nx run-many -t build).
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const BENCHMARKS_MD = path.join(ROOT, 'docs', 'benchmarks.md');
const CONTROL_PLANE_MAIN = path.join(ROOT, 'apps', 'control-plane', 'dist', 'main.js');
const AGENT_BIN = path.join(ROOT, 'apps', 'agent', 'bin', 'oja-agent.js');
const AGENT_MAIN = path.join(ROOT, 'apps', 'agent', 'dist', 'main.js');
// Taken when a bench starts, before its own load: other work on the machine skews the figures.
const LOAD_AT_START = Math.round(os.loadavg()[0] * 100) / 100;

/** Fails with the build command when a built file is missing. */
function assertBuilt(file) {
  if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run "npx nx run-many -t build" first`);
}

/** Requires a built file, failing with the build command when it is missing. */
function requireBuilt(file) {
  assertBuilt(file);
  return require(file);
}

/** OJA_* settings: /etc/oja/oja.env (or OJA_ENV_FILE) overlaid with the process env, parsed as the control plane does. */
function ojaEnv() {
  const { parseEnvFile } = requireBuilt(path.join(ROOT, 'apps', 'control-plane', 'dist', 'config', 'config.js'));
  const file = process.env.OJA_ENV_FILE || '/etc/oja/oja.env';
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  const fromProcess = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('OJA_') && v));
  return { ...fromFile, ...fromProcess };
}

/** The middle of the samples (the upper middle of an even count): what the benches report of repeated runs. */
function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** A new empty database `oja_bench_<random>` made with the admin URL; drop() removes it. */
async function freshDatabase(env = ojaEnv()) {
  const { createScratchDatabase } = require('../support/scratch-database');
  return createScratchDatabase(env.OJA_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/oja', 'oja_bench');
}

/** Deletes every Redis key under `prefix:` (a bench's BullMQ prefix). */
async function deleteRedisKeys(redisUrl, prefix) {
  const { Redis } = require('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const running = (child) => child.exitCode === null && child.signalCode === null;

/**
 * One shutdown of a bench's child process that every caller shares (the bench's finally; SIGINT/SIGTERM, which then
 * exit 130/143), with onExit run synchronously should the bench exit before it (kill by pid; no awaiting there).
 */
function stopOnce(onExit, shutdown) {
  const onSignal = (signal) => void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      try {
        await shutdown();
      } finally {
        process.removeListener('exit', onExit);
      }
    })());
  return stop;
}

/**
 * Starts the built control plane as a child process on 127.0.0.1 (random ports) with a fresh
 * database, its own queue prefix and a known admin token. stop() kills it by pid, drops the
 * database and deletes its Redis keys; it also runs if the bench process exits early.
 */
async function startControlPlane({ env: extra = {}, nodeArgs = [], startTimeoutMs = 60_000 } = {}) {
  if (!existsSync(CONTROL_PLANE_MAIN)) requireBuilt(CONTROL_PLANE_MAIN);
  const env = ojaEnv();
  const database = await freshDatabase(env);
  const adminToken = `oja_admin_${randomBytes(16).toString('hex')}`;
  const queuePrefix = `ojabench-${randomBytes(5).toString('hex')}`;
  const redisUrl = env.OJA_REDIS_URL || 'redis://127.0.0.1:6379';
  // nodeArgs: e.g. ['--cpu-prof'] to see where a bench's time goes.
  const child = spawn(process.execPath, [...nodeArgs, CONTROL_PLANE_MAIN], {
    env: {
      ...process.env,
      ...env,
      OJA_DATABASE_URL: database.url,
      OJA_ADMIN_TOKEN: adminToken,
      OJA_QUEUE_PREFIX: queuePrefix,
      OJA_HTTP_ADDR: '127.0.0.1:0',
      OJA_GRPC_ADDR: '127.0.0.1:0',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const killChild = () => {
    if (running(child)) process.kill(child.pid, 'SIGKILL');
  };
  // Interrupted: still stop the child and drop the database before exiting.
  const stop = stopOnce(killChild, async () => {
    if (running(child)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(killChild, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await database.drop().catch((err) => console.error(`dropping ${database.name}: ${err.message}`));
    await deleteRedisKeys(redisUrl, queuePrefix).catch((err) => console.error(`cleaning Redis prefix ${queuePrefix}: ${err.message}`));
  });

  try {
    const baseUrl = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`control plane not listening after ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
      const onData = () => {
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1].replace('[::1]', '127.0.0.1'));
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`control plane exited (${signal ?? code}) before listening:\n${output}`));
      });
    });
    return { baseUrl, adminToken, pid: child.pid, database, queuePrefix, stop, output: () => output };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** JSON request to a started control plane; throws with the answer on an unexpected status. */
async function api(baseUrl, method, urlPath, { token, body, expect = [200, 201] } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls probe() every intervalMs until it returns true (a throw counts as not yet); fails after timeoutMs. */
async function until(what, probe, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Removes every container (running or not) carrying the label `key=value`, one at a time: dockerd 20.10 deadlocked
 * (libnetwork, every container operation hung until restarted) when 60 were force-removed at once while an agent was
 * stopping 30 more. Each call is bounded in time, so that a dockerd that stopped answering leaves a message naming the
 * containers rather than a bench that never exits.
 */
function removeLabelledContainers(label, timeoutMs = 60_000) {
  const docker = (args) => spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  const failed = (r) => r.status !== 0 && (r.error?.message ?? (r.signal ? `docker killed by ${r.signal}` : r.stderr.trim() || `exit ${r.status}`));
  const listed = docker(['ps', '-aq', '--filter', `label=${label}`]);
  const ids = (listed.stdout ?? '').split('\n').filter(Boolean);
  let problem = failed(listed);
  for (let i = 0; i < ids.length && !problem; i++) {
    problem = failed(docker(['rm', '-f', ids[i]]));
    if (problem) console.error(`could not remove the containers labelled ${label} (${problem}): ${ids.slice(i).join(' ')}`);
  }
  if (problem && !ids.length) console.error(`could not list the containers labelled ${label}: ${problem}`);
}

/**
 * Starts the built agent as a child process joined to a control plane from startControlPlane(): `--no-overlay`, a
 * temp data dir and run dir, its mesh on 127.0.0.1, the dockerd of DOCKER_HOST. Resolves once the node is `ready` in
 * GET /v1/nodes. stop() kills it by pid, removes its containers (label oja.node) and the temp dir; it also runs if the
 * bench is interrupted or exits early.
 */
async function startAgent(cp, { name, args = [], env = {}, readyTimeoutMs = 60_000 } = {}) {
  // Checked, not required: requiring the agent's main.js would start an agent inside the bench.
  assertBuilt(AGENT_MAIN);
  const node = name ?? `bench-${randomBytes(3).toString('hex')}`;
  const join = await api(cp.baseUrl, 'POST', '/v1/join-tokens', { token: cp.adminToken, body: {} });
  const gateway = /agent gateway listening on (127\.0\.0\.1:\d+)/;
  await until('the gRPC address in the control plane log', async () => gateway.test(cp.output()), 10_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'oja-bench-agent-'));
  const child = spawn(
    AGENT_BIN,
    ['--join', gateway.exec(cp.output())[1], '--token', join.token, '--name', node, '--data-dir', path.join(tmp, 'data'),
      '--advertise-address', '127.0.0.1', '--no-overlay', ...args],
    { cwd: ROOT, env: { ...process.env, OJA_MESH_BIND_ADDRESS: '127.0.0.1', OJA_RUN_DIR: path.join(tmp, 'run'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The tail of its log, for failure messages (a long bench would otherwise grow it without bound).
  let output = '';
  const keep = (d) => (output = (output + d).slice(-65_536));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const cleanUp = () => {
    if (running(child)) process.kill(child.pid, 'SIGKILL');
    removeLabelledContainers(`oja.node=${node}`);
    rmSync(tmp, { recursive: true, force: true });
  };
  const stop = stopOnce(cleanUp, async () => {
    if (running(child)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    cleanUp();
  });

  try {
    const ready = async () => {
      if (!running(child)) throw new Error(`agent exited (${child.signalCode ?? child.exitCode}):\n${output}`);
      const { items } = await api(cp.baseUrl, 'GET', '/v1/nodes', { token: cp.adminToken });
      return items.some((n) => n.name === node && n.status === 'ready');
    };
    await until(`node ${node} ready`, ready, readyTimeoutMs);
    return { node, pid: child.pid, stop, output: () => output };
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\nagent output:\n${output.slice(-4000)}`);
  }
}

/**
 * Runs one lab test file (test/lab/*.bench.ts) through Jest with the lab's set-up/teardown hooks, --runInBand; throws
 * when it fails. The file writes its measurements where `env` tells it to.
 */
function runLabJest(testFile, env, timeoutMs) {
  const jest = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest', { paths: [ROOT] }), '-c', 'test/lab.jest.config.js', '--runInBand', '--testMatch', `**/lab/${testFile}`],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: timeoutMs, env: { ...process.env, ...env } },
  );
  if (jest.status !== 0) throw new Error(`the lab run failed (${jest.error?.message ?? `exit ${jest.status ?? jest.signal}`})`);
}

/** What the figures were measured on. */
function machine() {
  let cpuModel = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    cpuModel = os.cpus()[0]?.model ?? 'unknown';
  }
  return {
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel,
    node: process.version,
    loadAverage1mAtStart: LOAD_AT_START,
  };
}

const BENCHMARKS_HEADER = `# Benchmarks

Rows are appended by \`npm run bench -- NAME\` (see test/bench/). Each bench prints its figures as one
JSON object on its last stdout line; the row keeps that object, with the machine it ran on.

| date (UTC) | bench | machine (cores / memory / CPU, load) | node | figures |
|---|---|---|---|---|
`;

/** Appends one row to docs/benchmarks.md, creating the file with its header first. */
function appendResult(bench, figures, { summary } = {}) {
  if (!existsSync(BENCHMARKS_MD)) writeFileSync(BENCHMARKS_MD, BENCHMARKS_HEADER);
  const m = machine();
  const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const row = [
    new Date().toISOString().slice(0, 16).replace('T', ' '),
    bench,
    `${m.cores} cores / ${m.memoryGiB} GiB / ${m.cpuModel}, load ${m.loadAverage1mAtStart} at start`,
    m.node,
    summary ? `${summary} — \`${JSON.stringify(figures)}\`` : `\`${JSON.stringify(figures)}\``,
  ];
  appendFileSync(BENCHMARKS_MD, `| ${row.map(cell).join(' | ')} |\n`);
}

/** The figures as ONE JSON object on the last stdout line (what scripts parse). */
function printResult(figures) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Parses `--name value` flags against defaults (numbers stay numbers); unknown flags are an error. */
function parseFlags(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argv[i]);
    const key = m && m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!m || !(key in defaults)) throw new Error(`unknown flag "${argv[i]}"; known: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`flag --${m[1]} needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${m[1]} must be a positive number, got "${raw}"`);
      out[key] = n;
    } else {
      out[key] = raw;
    }
  }
  return out;
}

module.exports = {
  ROOT,
  api,
  appendResult,
  deleteRedisKeys,
  freshDatabase,
  machine,
  median,
  ojaEnv,
  parseFlags,
  printResult,
  removeLabelledContainers,
  requireBuilt,
  runLabJest,
  sleep,
  startAgent,
  startControlPlane,
  until,
};
