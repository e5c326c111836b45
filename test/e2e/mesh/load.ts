import { request, type Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A bounded HTTP load generator for rollout tests: `concurrency` loops send GETs (a new connection each, keep-alive
 * off, so every request goes through the mesh's connection handling) at up to `ratePerSecond` in total, until
 * stopped or `maxSeconds` passed. It records every failure: a status other than 200, a connection error, a timeout.
 * Send it only to loopback or the lab's addresses.
 */
export interface LoadOptions {
  host: string;
  port: number;
  ratePerSecond: number;
  concurrency?: number;
  /** Hard cap on the run, whatever happens to the caller. */
  maxSeconds: number;
  timeoutMs?: number;
}

export interface LoadReport {
  sent: number;
  ok: number;
  /** Answers other than 200, by status. */
  badStatus: Record<string, number>;
  /** Connection errors and timeouts, by message. */
  errors: Record<string, number>;
  failed: number;
  /** Bodies of the 200 answers (trimmed) and how many times each came. */
  bodies: Record<string, number>;
  seconds: number;
  ratePerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface RunningLoad {
  /** Stops sending, waits for requests in flight, returns the figures. */
  stop(): Promise<LoadReport>;
}

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

export function get(host: string, port: number, timeoutMs = 5000, agent: Agent | false = false, path = '/'): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8').trim(), ms: performance.now() - started }));
      res.on('error', (err) => resolve({ error: err.message, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message, ms: performance.now() - started }));
    req.end();
  });
}

export function startLoad(opts: LoadOptions): RunningLoad {
  const concurrency = opts.concurrency ?? 8;
  const intervalMs = (1000 * concurrency) / opts.ratePerSecond;
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const deadline = Date.now() + opts.maxSeconds * 1000;
  let stopping = false;
  const loop = async () => {
    while (!stopping && Date.now() < deadline) {
      const next = performance.now() + intervalMs;
      outcomes.push(await get(opts.host, opts.port, opts.timeoutMs));
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  };
  const loops = Promise.all(Array.from({ length: concurrency }, () => loop()));
  return {
    async stop() {
      stopping = true;
      await loops;
      return summarize(outcomes, (performance.now() - started) / 1000);
    },
  };
}

export function summarize(outcomes: readonly Outcome[], seconds: number): LoadReport {
  const report: LoadReport = {
    sent: outcomes.length, ok: 0, badStatus: {}, errors: {}, failed: 0, bodies: {}, seconds: round(seconds),
    ratePerSecond: round(outcomes.length / seconds), latencyMs: { p50: 0, p99: 0, max: 0 },
  };
  for (const o of outcomes) {
    if (o.error) report.errors[o.error] = (report.errors[o.error] ?? 0) + 1;
    else if (o.status !== 200) report.badStatus[String(o.status)] = (report.badStatus[String(o.status)] ?? 0) + 1;
    else {
      report.ok++;
      report.bodies[o.body!] = (report.bodies[o.body!] ?? 0) + 1;
    }
  }
  report.failed = report.sent - report.ok;
  const sorted = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  report.latencyMs = { p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
  return report;
}

const round = (n: number) => Math.round(n * 100) / 100;
