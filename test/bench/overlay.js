#!/usr/bin/env node
// Overlay throughput and RTT in the multi-host lab (root only; one lab per machine, runs queue on its lock): host 1 →
// host 2 over the plain underlay, over a bare wireguard-go tunnel, and container → container over oja's overlay
// (oja0 + the `oja` Docker networks), all in one run and measured the same way (busybox wget of a fixed-size file,
// median of --repeats, and 20 pings). Goal: the overlay reaches ≥ 90% of bare wireguard-go's throughput.
// The lab part is test/lab/overlay-throughput.bench.ts, run through Jest with the lab's set-up/teardown hooks.
// Build first: npx nx run-many -t build
// Usage: npm run bench -- overlay [--mib 128] [--repeats 3]
'use strict';
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { appendResult, parseFlags, printResult, runLabJest } = require('./lib');

const flags = parseFlags(process.argv.slice(2), { mib: 128, repeats: 3 });
const GOAL_RATIO = 0.9;
// Lab start-up, 3 paths × (1 + repeats) transfers and 20 pings each, plus waiting for another run's lab.
const TIMEOUT_MS = 15 * 60 * 1000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'oja-overlay-bench-'));
const out = path.join(dir, 'measurements.jsonl');
try {
  runLabJest('overlay-throughput.bench.ts', { OJA_OVERLAY_BENCH_OUT: out, OJA_OVERLAY_BENCH_MIB: String(flags.mib), OJA_OVERLAY_BENCH_REPEATS: String(flags.repeats) }, TIMEOUT_MS);
  const [run] = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const ratio = Math.round((run.overlay.mbitPerSecond / run.wireguardGo.mbitPerSecond) * 1000) / 1000;
  const figures = {
    mib: run.mib,
    repeats: run.repeats,
    underlay: run.underlay,
    wireguardGo: run.wireguardGo,
    overlay: run.overlay,
    overlayVsWireguardGo: ratio,
    goalRatio: GOAL_RATIO,
    goalMet: ratio >= GOAL_RATIO,
  };
  const summary =
    `lab, 2 hosts, ${run.mib} MiB wget × ${run.repeats} (median): underlay ${run.underlay.mbitPerSecond} Mbit/s / ${run.underlay.rttMs} ms, ` +
    `bare wireguard-go ${run.wireguardGo.mbitPerSecond} Mbit/s / ${run.wireguardGo.rttMs} ms, ` +
    `overlay container→container ${run.overlay.mbitPerSecond} Mbit/s / ${run.overlay.rttMs} ms = ${(ratio * 100).toFixed(1)}% of wireguard-go (goal ≥ ${GOAL_RATIO * 100}%)`;
  console.log(summary);
  appendResult('overlay', figures, { summary });
  printResult(figures);
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
