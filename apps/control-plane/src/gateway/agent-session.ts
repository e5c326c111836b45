import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, ControlMessage, LogChunk, LogEnd, LogRequest } from '@oja/proto';

export interface LogHandlers {
  onChunk(chunk: LogChunk): void;
  onEnd(end: LogEnd): void;
}

/**
 * One agent's stream on this replica. Desired-state pushes are coalesced: while one is being built, further
 * wake-ups only mark the session dirty, and one more push follows — so bursts cost one build each.
 */
export class AgentSession {
  /** Generation → instances stopped at that generation (deleted once the agent has converged to it). */
  readonly stoppedAt = new Map<number, string[]>();
  private readonly logs = new Map<string, LogHandlers>();
  private pushing?: Promise<void>;
  private dirty = false;
  private closed = false;

  constructor(
    readonly nodeId: string,
    readonly nodeName: string,
    private readonly call: ServerDuplexStream<AgentMessage, ControlMessage>,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  send(kind: NonNullable<ControlMessage['kind']>): void {
    if (!this.closed) this.call.write({ kind });
  }

  /** Runs `build` now, or once more after the running one if already busy. Resolves when the state is sent. */
  requestPush(build: () => Promise<void>): Promise<void> {
    if (this.pushing) {
      this.dirty = true;
      return this.pushing;
    }
    this.pushing = (async () => {
      try {
        do {
          this.dirty = false;
          if (this.closed) return;
          await build();
        } while (this.dirty);
      } finally {
        this.pushing = undefined;
      }
    })();
    return this.pushing;
  }

  startLogs(request: LogRequest, handlers: LogHandlers): void {
    this.logs.set(request.requestId, handlers);
    this.send({ $case: 'logRequest', value: request });
  }

  cancelLogs(requestId: string): void {
    if (this.logs.delete(requestId)) this.send({ $case: 'logCancel', value: { requestId } });
  }

  deliverLogChunk(chunk: LogChunk): void {
    this.logs.get(chunk.requestId)?.onChunk(chunk);
  }

  deliverLogEnd(end: LogEnd): void {
    const handlers = this.logs.get(end.requestId);
    this.logs.delete(end.requestId);
    handlers?.onEnd(end);
  }

  /** Ends the stream (OK, or with a status) and finishes every open log request. */
  close(error?: { code: number; details: string }): void {
    if (this.closed) return;
    this.closed = true;
    for (const [requestId, handlers] of this.logs) handlers.onEnd({ requestId, instanceId: '', error: 'agent disconnected' });
    this.logs.clear();
    if (error) this.call.emit('error', error);
    else this.call.end();
  }
}
