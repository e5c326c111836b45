import { EventEmitter } from 'node:events';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, ControlMessage } from '@oja/proto';
import { AgentSession } from './agent-session';

class FakeCall extends EventEmitter {
  written: ControlMessage[] = [];
  ended = false;
  write(msg: ControlMessage): boolean {
    this.written.push(msg);
    return true;
  }
  end(): void {
    this.ended = true;
  }
}

const session = () => {
  const call = new FakeCall();
  return { call, s: new AgentSession('n1', 'node-1', call as unknown as ServerDuplexStream<AgentMessage, ControlMessage>) };
};

describe('AgentSession', () => {
  it('coalesces pushes requested while one is being built into exactly one more', async () => {
    const { s } = session();
    let builds = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const build = async () => {
      builds++;
      if (builds === 1) await gate;
    };
    const first = s.requestPush(build);
    const others = [s.requestPush(build), s.requestPush(build), s.requestPush(build)];
    release();
    await Promise.all([first, ...others]);
    expect(builds).toBe(2);
    await s.requestPush(build);
    expect(builds).toBe(3);
  });

  it('relays log chunks to the request they belong to and ends open requests when closed', () => {
    const { s, call } = session();
    const lines: string[] = [];
    const ends: string[] = [];
    s.startLogs({ requestId: 'a', instanceId: 'i', follow: true, tail: -1, since: '', timestamps: false }, {
      onChunk: (c) => lines.push(c.line),
      onEnd: (e) => ends.push(`${e.requestId}:${e.error}`),
    });
    expect(call.written[0].kind?.$case).toBe('logRequest');
    s.deliverLogChunk({ requestId: 'a', instanceId: 'i', stream: 'stdout', ts: '', line: 'one' });
    s.deliverLogChunk({ requestId: 'other', instanceId: 'i', stream: 'stdout', ts: '', line: 'not ours' });
    s.close();
    expect(lines).toEqual(['one']);
    expect(ends).toEqual(['a:agent disconnected']);
    expect(call.ended).toBe(true);
    s.send({ $case: 'drain', value: { reason: 'x' } });
    expect(call.written).toHaveLength(1);
  });

  it('sends LogCancel once for a cancelled request', () => {
    const { s, call } = session();
    s.startLogs({ requestId: 'a', instanceId: 'i', follow: true, tail: -1, since: '', timestamps: false }, { onChunk: () => undefined, onEnd: () => undefined });
    s.cancelLogs('a');
    s.cancelLogs('a');
    expect(call.written.map((m) => m.kind?.$case)).toEqual(['logRequest', 'logCancel']);
  });
});
