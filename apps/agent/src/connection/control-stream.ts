import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import type { AgentMessage, ControlMessage } from '@oja/proto';

/** How a stream ended: the gRPC status (code and details) as the client saw it. */
export type StreamOutcome = Pick<StatusObject, 'code' | 'details'>;

const HALF_CLOSE_GRACE_MS = 1000;

/**
 * One Connect call: writes with backpressure, reads control messages, and settles `closed` exactly once however the
 * call ends (server status, transport error, or our own close).
 */
export class ControlStream {
  readonly closed: Promise<StreamOutcome>;
  private open = true;

  constructor(
    private readonly call: ClientDuplexStream<AgentMessage, ControlMessage>,
    onMessage: (message: ControlMessage) => void,
  ) {
    this.closed = new Promise<StreamOutcome>((resolve) => {
      const settle = (outcome: StreamOutcome) => {
        this.open = false;
        resolve(outcome);
      };
      call.on('status', settle);
      // grpc-js emits 'error' (a ServiceError, which carries code and details) before 'status' on failures.
      call.on('error', settle);
    });
    call.on('data', onMessage);
  }

  /** Writes if the stream is open; returns false when it is full (or closed) and the caller should wait for `writable`. */
  send(message: AgentMessage): boolean {
    if (!this.open) return false;
    return this.call.write(message);
  }

  /** Writes, then waits until the stream has room again (or has closed): the way bulk senders respect backpressure. */
  async sendWhenWritable(message: AgentMessage): Promise<void> {
    if (this.send(message) || !this.open) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.call.off('drain', done);
        resolve();
      };
      this.call.once('drain', done);
      void this.closed.then(done);
    });
  }

  /** Half-closes so the control plane sees a clean end; cancels if it doesn't finish the call promptly. */
  async close(): Promise<StreamOutcome> {
    if (this.open) {
      this.call.end();
      const timer = setTimeout(() => this.call.cancel(), HALF_CLOSE_GRACE_MS);
      void this.closed.finally(() => clearTimeout(timer));
    }
    return this.closed;
  }
}
