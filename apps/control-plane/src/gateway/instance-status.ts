import { INSTANCE_STATES, type InstanceState } from '@oja/contracts';
import type { InstanceStatus } from '@oja/proto';

/** What Postgres holds about an instance's observed state (the part an agent report can change). */
export interface ObservedInstance {
  state: InstanceState;
  healthy: boolean;
  restarts: number;
  lastExitCode: number | null;
  reason: string | null;
  observedAt: Date | null;
}

export interface ObservedReport extends ObservedInstance {
  containerId: string | null;
  overlayIp: string | null;
  healthChecks: { at: string; ok: boolean; output: string }[];
  observedAt: Date;
  /** The image the agent has just pulled for this instance (only the report right after the pull has it). */
  pulledImage: string | null;
}

export interface InstanceEvent {
  type: 'instance.pulled' | 'instance.started' | 'instance.healthy' | 'instance.unhealthy' | 'instance.failed' | 'instance.restarted' | 'instance.exited';
  message: string;
}

const STATES = new Set<string>(INSTANCE_STATES);
const UP_STATES = new Set<InstanceState>(['running', 'healthy', 'unhealthy']);

/** Validates an agent's report; `receivedAt` stands in when the agent sent no (or a bad) timestamp. */
export function parseReport(report: InstanceStatus, receivedAt: Date): ObservedReport | null {
  if (!STATES.has(report.state)) return null;
  const at = report.at ? new Date(report.at) : receivedAt;
  return {
    state: report.state as InstanceState,
    healthy: report.healthy,
    restarts: Math.max(0, report.restarts),
    lastExitCode: report.exitCode >= 0 ? report.exitCode : null,
    reason: report.reason || null,
    containerId: report.containerId || null,
    overlayIp: report.overlayIp || null,
    healthChecks: report.lastChecks.slice(-10).map((c) => ({ at: c.at, ok: c.ok, output: c.output.slice(0, 1024) })),
    observedAt: Number.isNaN(at.getTime()) ? receivedAt : at,
    pulledImage: report.pulledImage || null,
  };
}

/** Reports can arrive out of order (reconnects, retries): one observed before the stored state is stale. */
export function isStale(current: ObservedInstance, report: ObservedReport): boolean {
  return current.observedAt !== null && report.observedAt.getTime() < current.observedAt.getTime();
}

/** Ready = serving: up and healthy (an instance without a probe is healthy once running). */
export function isReady(i: Pick<ObservedInstance, 'state' | 'healthy'>): boolean {
  return i.healthy && (i.state === 'running' || i.state === 'healthy');
}

/** The events a transition (or, for a pull, the report itself) is worth recording. */
export function transitionEvents(prev: ObservedInstance, next: ObservedInstance & { pulledImage?: string | null }): InstanceEvent[] {
  const events: InstanceEvent[] = [];
  if (next.pulledImage) events.push({ type: 'instance.pulled', message: `pulled image ${next.pulledImage}` });
  if (next.restarts > prev.restarts) {
    events.push({ type: 'instance.restarted', message: `restarted (${next.restarts} restarts, last exit code ${next.lastExitCode ?? 'unknown'})` });
  }
  if (prev.state === next.state && prev.healthy === next.healthy) return events;
  if (UP_STATES.has(next.state) && !UP_STATES.has(prev.state)) events.push({ type: 'instance.started', message: 'container started' });
  if (isReady(next) && !isReady(prev)) events.push({ type: 'instance.healthy', message: 'healthy' });
  if (next.state === 'unhealthy' && prev.state !== 'unhealthy') {
    events.push({ type: 'instance.unhealthy', message: next.reason ? `unhealthy: ${next.reason}` : 'unhealthy' });
  }
  if (next.state === 'failed' && prev.state !== 'failed') {
    events.push({ type: 'instance.failed', message: `failed: ${next.reason ?? 'unknown reason'}` });
  }
  if (next.state === 'exited' && prev.state !== 'exited') {
    events.push({ type: 'instance.exited', message: `exited with code ${next.lastExitCode ?? 'unknown'}` });
  }
  return events;
}

/** Whether the deployment needs a new evaluation: readiness changed, or the instance is gone/failed. */
export function needsEvaluation(prev: ObservedInstance, next: ObservedInstance): boolean {
  if (isReady(prev) !== isReady(next)) return true;
  return prev.state !== next.state && (next.state === 'failed' || next.state === 'exited' || next.state === 'lost' || next.state === 'unhealthy');
}
