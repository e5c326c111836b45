'use strict';
// Shared helpers for benches (plain CommonJS; benches run against BUILT packages: npx nx run-many -t build).
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { appendFileSync, existsSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const BENCHMARKS_MD = path.join(ROOT, 'docs', 'benchmarks.md');
const CONTROL_PLANE_MAIN = path.join(ROOT, 'apps', 'control-plane', 'dist', 'main.js');
// Taken when a bench starts, before its own load: other work on the machine skews the figures.
const LOAD_AT_START = Math.round(os.loadavg()[0] * 100) / 100;

/** Requires a built file, failing with the build command when it is missing. */
function requireBuilt(file) {
  if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run "npx nx run-many -t build" first`);
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

async function withPg(url, fn) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database `oja_bench_<random>` made with the admin URL; drop() removes it. */
async function freshDatabase(env = ojaEnv()) {
  const admin = env.OJA_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/oja';
  const name = `oja_bench_${randomBytes(6).toString('hex')}`;
  await withPg(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => withPg(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
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
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', killChild);
  // Interrupted: still stop the child and drop the database before exiting.
  const onSignal = (signal) => void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Every caller (signal handler, the bench's finally) waits for the same complete shutdown.
  let stopping;
  const stop = () => (stopping ??= shutdown());
  const shutdown = async () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(killChild, 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killChild);
    await database.drop().catch((err) => console.error(`dropping ${database.name}: ${err.message}`));
    await deleteRedisKeys(redisUrl, queuePrefix).catch((err) => console.error(`cleaning Redis prefix ${queuePrefix}: ${err.message}`));
  };

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
  ojaEnv,
  parseFlags,
  printResult,
  requireBuilt,
  runLabJest,
  startControlPlane,
};
