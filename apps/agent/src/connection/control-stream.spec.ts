import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, ControlMessage } from '@oja/proto';
import { EventEmitter } from 'node:events';
import { ControlStream } from './control-stream';

/** Just enough of a grpc-js duplex call: write() reports "full" while `full` is set. */
class FakeCall extends EventEmitter {
  full = false;
  written: AgentMessage[] = [];
  ended = false;
  cancelled = false;
  write(message: AgentMessage): boolean {
    this.written.push(message);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('error', { code: status.CANCELLED, details: 'Cancelled on client' });
  }
}

const heartbeat: AgentMessage = { kind: { $case: 'heartbeat', value: { observedGeneration: 1, runningContainers: 0 } } };
const flush = () => new Promise((resolve) => setImmediate(resolve));

function open() {
  const call = new FakeCall();
  const received: ControlMessage[] = [];
  const stream = new ControlStream(call as unknown as ClientDuplexStream<AgentMessage, ControlMessage>, (m) => received.push(m));
  return { call, stream, received };
}

describe('ControlStream', () => {
  it('waits for drain when the call is full, and not otherwise', async () => {
    const { call, stream } = open();
    await stream.sendWhenWritable(heartbeat);
    call.full = true;
    let done = false;
    const pending = stream.sendWhenWritable(heartbeat).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    call.emit('drain');
    await pending;
    expect(call.written).toHaveLength(2);
  });

  it('releases waiting senders when the call closes, and writes nothing after that', async () => {
    const { call, stream } = open();
    call.full = true;
    const pending = stream.sendWhenWritable(heartbeat);
    call.emit('status', { code: status.UNAVAILABLE, details: 'gone' });
    await pending;
    expect(await stream.closed).toEqual({ code: status.UNAVAILABLE, details: 'gone' });
    expect(stream.send(heartbeat)).toBe(false);
    expect(call.written).toHaveLength(1);
  });

  it('settles once, with the first of error and status', async () => {
    const { call, stream } = open();
    call.emit('error', { code: status.UNAUTHENTICATED, details: 'bad certificate' });
    call.emit('status', { code: status.UNAUTHENTICATED, details: 'bad certificate', metadata: {} });
    expect(await stream.closed).toMatchObject({ code: status.UNAUTHENTICATED, details: 'bad certificate' });
  });

  it('hands control messages to the handler', () => {
    const { call, received } = open();
    const message: ControlMessage = { kind: { $case: 'logCancel', value: { requestId: 'r' } } };
    call.emit('data', message);
    expect(received).toEqual([message]);
  });

  it('closes by half-closing, and cancels if the control plane does not finish the call', async () => {
    jest.useFakeTimers();
    try {
      const { call, stream } = open();
      const closing = stream.close();
      expect(call.ended).toBe(true);
      expect(call.cancelled).toBe(false);
      jest.advanceTimersByTime(1000);
      expect(call.cancelled).toBe(true);
      expect(await closing).toMatchObject({ code: status.CANCELLED });
    } finally {
      jest.useRealTimers();
    }
  });
});
