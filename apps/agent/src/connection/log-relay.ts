import type { AgentMessage, LogRequest } from '@oja/proto';
import type { Logger } from 'pino';
import type { LogRequestOptions, StreamInstanceLogs } from './ports';

/** LogRequest fields onto the log source's options (tail -1 = all, empty since = from the beginning). */
export function logRequestOptions(request: LogRequest): LogRequestOptions {
  const since = request.since ? new Date(request.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new Error(`since "${request.since}" is not an RFC 3339 time`);
  return {
    follow: request.follow,
    tail: request.tail < 0 ? undefined : request.tail,
    since,
    timestamps: request.timestamps,
  };
}

/**
 * The log requests of one control-plane stream: each runs until its source ends (→ LogEnd), the control plane cancels
 * it (LogCancel), or the stream drops (abortAll). Lines go out through `send`, which waits while the stream is full.
 */
export class LogRelay {
  private readonly active = new Map<string, AbortController>();

  constructor(
    private readonly streamLogs: StreamInstanceLogs,
    private readonly send: (message: AgentMessage) => Promise<void>,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.active.size;
  }

  start(request: LogRequest): void {
    const { requestId, instanceId } = request;
    this.cancel(requestId);
    const controller = new AbortController();
    this.active.set(requestId, controller);
    const run = async () => {
      const options = logRequestOptions(request);
      await this.streamLogs(
        instanceId,
        options,
        (line) => this.send({ kind: { $case: 'logChunk', value: { requestId, instanceId, stream: line.stream, ts: line.ts ?? '', line: line.line } } }),
        controller.signal,
      );
    };
    run()
      .then(
        () => '',
        (err: Error) => {
          this.log.warn({ requestId, instanceId, err: err.message }, 'log stream failed');
          return err.message || 'log stream failed';
        },
      )
      .then((error) => {
        if (this.active.get(requestId) === controller) this.active.delete(requestId);
        if (!controller.signal.aborted) {
          void this.send({ kind: { $case: 'logEnd', value: { requestId, instanceId, error } } });
        }
      });
  }

  cancel(requestId: string): void {
    this.active.get(requestId)?.abort();
    this.active.delete(requestId);
  }

  abortAll(): void {
    for (const controller of this.active.values()) controller.abort();
    this.active.clear();
  }
}
