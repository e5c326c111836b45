import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthSpec } from '@oja/contracts';
import type { Runtime } from '../runtime/runtime';

export interface ProbeResult {
  ok: boolean;
  /** Short human-readable outcome ("HTTP 200", "connect ECONNREFUSED", exec output). */
  output: string;
}

/** Where a probe aims: the container (for exec) and its IP on the instance's network (for HTTP/TCP). */
export interface ProbeTarget {
  containerId: string;
  ip: string | null;
}

export type Probe = (target: ProbeTarget) => Promise<ProbeResult>;

const MAX_OUTPUT = 256;

/** GET http://ip:port/path; any 2xx or 3xx is healthy. */
export function httpProbe(ip: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 400, output: `HTTP ${status}` });
    });
    req.once('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.once('error', (err) => resolve({ ok: false, output: err.message }));
    req.end();
  });
}

/** Healthy when a TCP connection to ip:port opens within the timeout. */
export function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: timeoutMs });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true, output: `connected to ${ip}:${port}` }));
    socket.once('timeout', () => done({ ok: false, output: `timed out after ${timeoutMs} ms` }));
    socket.once('error', (err) => done({ ok: false, output: err.message }));
  });
}

/** Builds the probe a health spec describes (exactly one of http, tcp, exec is set). */
export function probeFor(health: HealthSpec, runtime: Runtime): Probe {
  const timeoutMs = health.timeoutSeconds * 1000;
  const needIp = (target: ProbeTarget, run: (ip: string) => Promise<ProbeResult>) =>
    target.ip ? run(target.ip) : Promise.resolve({ ok: false, output: 'container has no IP address' });
  const { http, tcp, exec } = health;
  if (http) return (t) => needIp(t, (ip) => httpProbe(ip, http.port, http.path, timeoutMs));
  if (tcp) return (t) => needIp(t, (ip) => tcpProbe(ip, tcp.port, timeoutMs));
  if (exec) {
    return async (t) => {
      try {
        const { exitCode, output } = await runtime.exec(t.containerId, exec.command, timeoutMs);
        return { ok: exitCode === 0, output: (output || `exit code ${exitCode}`).slice(0, MAX_OUTPUT) };
      } catch (err) {
        return { ok: false, output: (err as Error).message.slice(0, MAX_OUTPUT) };
      }
    };
  }
  throw new Error('health spec sets none of http, tcp, exec');
}
