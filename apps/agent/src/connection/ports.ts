import type { DesiredInstance, InstanceStatusReport } from '../reconcile/types';

/** What the connection needs from the reconciler (implemented by reconcile/Reconciler). */
export interface ReconcilerPort {
  /**
   * Hands over the node's full desired set; resolves once it has been acted on. Resolves false when the
   * reconciler ignored it (older than a generation it already has).
   */
  apply(generation: number, instances: DesiredInstance[]): void | boolean | Promise<void | boolean>;
  onStatus(listener: (report: InstanceStatusReport) => void): void;
  /** Every instance the agent currently knows, including adopted containers. */
  observed(): InstanceStatusReport[] | Promise<InstanceStatusReport[]>;
}

export interface LogRequestOptions {
  follow: boolean;
  /** Lines from the end per instance; undefined = all. */
  tail?: number;
  since?: Date;
  timestamps: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  ts: string | null;
  line: string;
}

/**
 * Streams one instance's log lines until done or aborted. onLine may return a promise (the stream to the control
 * plane is full): the source should wait for it before reading on.
 */
export type StreamInstanceLogs = (
  instanceId: string,
  options: LogRequestOptions,
  onLine: (line: LogLine) => void | Promise<void>,
  signal: AbortSignal,
) => Promise<void>;
