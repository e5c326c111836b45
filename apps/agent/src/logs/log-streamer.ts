import type { AgentMetrics } from '../metrics/agent-metrics';
import type { LogLine, LogOptions, Runtime } from '../runtime/runtime';

/** Thrown when logs are asked for an instance that has no container on this node. */
export class UnknownInstanceError extends Error {
  override readonly name = 'UnknownInstanceError';
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} has no container on this node`);
  }
}

/**
 * Serves LogRequests: streams one instance's container logs line by line until the stream ends
 * (follow=false, or the container is removed) or the signal aborts, which closes the engine stream.
 */
export class LogStreamer {
  private open = 0;

  constructor(
    private readonly runtime: Runtime,
    /** Maps an instance id to its current container (the reconciler's containerIdOf). */
    private readonly containerOf: (instanceId: string) => string | null,
    private readonly metrics?: AgentMetrics,
  ) {}

  /** Streams currently open (the oja_agent_log_streams gauge). */
  get active(): number {
    return this.open;
  }

  async streamLogs(instanceId: string, opts: LogOptions, onLine: (line: LogLine) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    const containerId = this.containerOf(instanceId);
    if (!containerId) throw new UnknownInstanceError(instanceId);
    this.open += 1;
    this.metrics?.logStreams.inc();
    try {
      await this.runtime.logs(containerId, opts, onLine, signal);
    } finally {
      this.open -= 1;
      this.metrics?.logStreams.dec();
    }
  }
}
