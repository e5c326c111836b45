import { LogStreamer, UnknownInstanceError } from '../../../apps/agent/src/logs/log-streamer';
import type { LogLine, LogOptions } from '../../../apps/agent/src/runtime/runtime';
import { desiredInstance, nodeUnderTest, waitFor, type RunningReconciler } from './support';

/** Container logs through the runtime: stdout and stderr told apart, timestamps, tail, follow and cancellation. */
describe('agent runtime: log streaming', () => {
  const ctx = nodeUnderTest('logs');
  const talker = desiredInstance({
    deployment: 'talker',
    command: ['sh', '-c', 'echo out-1; echo err-1 >&2; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 1; done'],
  });
  let agent: RunningReconciler;
  let streamer: LogStreamer;

  const collect = async (opts: LogOptions): Promise<LogLine[]> => {
    const lines: LogLine[] = [];
    await streamer.streamLogs(talker.id, opts, (l) => void lines.push(l), new AbortController().signal);
    return lines;
  };

  beforeAll(async () => {
    agent = ctx.agent;
    streamer = new LogStreamer(agent.runtime, (id) => agent.reconciler.containerIdOf(id), agent.metrics);
    await agent.reconciler.apply(1, [talker]);
    await waitFor(() => agent.report(talker.id)?.state === 'running', 'talker running');
  });

  it('returns past lines per stream, with Docker timestamps when asked', async () => {
    const lines = await waitFor(async () => {
      const got = await collect({ follow: false, timestamps: true });
      return got.some((l) => l.line === 'tick-1') && got;
    }, 'a few lines');
    // Docker orders lines of different streams only by arrival, so no order between out-1 and err-1 is assumed.
    expect(lines.map(({ stream, line }) => ({ stream, line }))).toEqual(
      expect.arrayContaining([{ stream: 'stdout', line: 'out-1' }, { stream: 'stderr', line: 'err-1' }]),
    );
    expect(lines.filter((l) => l.line.startsWith('tick-')).every((l) => l.stream === 'stdout')).toBe(true);
    for (const l of lines) expect(l.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);

    const plain = await collect({ follow: false, timestamps: false });
    expect(plain.every((l) => l.ts === null)).toBe(true);
    expect(await collect({ follow: false, timestamps: false, tail: 1 })).toHaveLength(1);
    expect(await collect({ follow: false, timestamps: false, since: new Date(Date.now() + 3_600_000) })).toEqual([]);
  });

  it('follows new lines until cancelled, then closes the stream', async () => {
    const lines: LogLine[] = [];
    const abort = new AbortController();
    const streaming = streamer.streamLogs(talker.id, { follow: true, timestamps: false, tail: 0 }, (l) => void lines.push(l), abort.signal);

    await waitFor(() => lines.length >= 2, 'two followed lines');
    expect(lines.every((l) => l.stream === 'stdout' && /^tick-\d+$/.test(l.line))).toBe(true);
    expect(streamer.active).toBe(1);
    expect(await agent.metrics.registry.getSingleMetricAsString('oja_agent_log_streams')).toMatch(/oja_agent_log_streams 1/);

    abort.abort();
    await streaming;
    const atCancel = lines.length;
    const lastTick = (all: LogLine[]) => Number(all.filter((l) => l.line.startsWith('tick-')).at(-1)!.line.slice(5));
    const tickAtCancel = lastTick(lines);
    // The container keeps talking; nothing more reaches the cancelled stream.
    await waitFor(async () => lastTick(await collect({ follow: false, timestamps: false, tail: 1 })) >= tickAtCancel + 2, 'two more ticks');
    expect(lines).toHaveLength(atCancel);
    expect(streamer.active).toBe(0);
    expect(await agent.metrics.registry.getSingleMetricAsString('oja_agent_log_streams')).toMatch(/oja_agent_log_streams 0/);
  });

  it('reads no further while the consumer is busy (back-pressure)', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const abort = new AbortController();
    const streaming = streamer.streamLogs(talker.id, { follow: true, timestamps: false, tail: 1 }, (l) => {
      seen.push(l.line);
      return seen.length === 1 ? gate : undefined;
    }, abort.signal);

    await waitFor(() => seen.length === 1, 'first line');
    const first = Number(seen[0].slice(5));
    await waitFor(async () => Number((await collect({ follow: false, timestamps: false, tail: 1 }))[0].line.slice(5)) >= first + 2, 'two more ticks');
    expect(seen).toHaveLength(1);

    release();
    await waitFor(() => seen.length >= 3, 'the held-back lines');
    expect(seen.slice(0, 3)).toEqual([`tick-${first}`, `tick-${first + 1}`, `tick-${first + 2}`]);
    abort.abort();
    await streaming;
  });

  it('refuses an instance without a container on this node', async () => {
    await expect(streamer.streamLogs('no-such-instance', { follow: false, timestamps: false }, () => undefined, new AbortController().signal)).rejects.toBeInstanceOf(
      UnknownInstanceError,
    );
  });
});

/** An instance whose process exited: its container stays (the agent restarts it after a back-off), and so do its lines. */
describe('agent runtime: logs of a stopped instance', () => {
  // A back-off longer than the test, so the exited container is not restarted meanwhile.
  const ctx = nodeUnderTest('logs-exited', { backoff: { initialMs: 600_000, maxMs: 600_000, resetAfterMs: 600_000 } });
  const quitter = desiredInstance({ deployment: 'quitter', command: ['sh', '-c', 'echo last-out; echo last-err >&2; exit 3'] });
  let streamer: LogStreamer;

  beforeAll(async () => {
    streamer = new LogStreamer(ctx.agent.runtime, (id) => ctx.agent.reconciler.containerIdOf(id), ctx.agent.metrics);
    await ctx.agent.reconciler.apply(1, [quitter]);
    await waitFor(() => ctx.agent.report(quitter.id)?.state === 'exited', 'quitter exited');
  });

  const read = async (follow: boolean): Promise<LogLine[]> => {
    const lines: LogLine[] = [];
    await streamer.streamLogs(quitter.id, { follow, timestamps: false }, (l) => void lines.push(l), new AbortController().signal);
    return lines;
  };

  it('serves its last lines, per stream, while its container exists; a follow returns them and ends', async () => {
    expect(ctx.agent.report(quitter.id)).toMatchObject({ state: 'exited', exitCode: 3 });
    const expected = expect.arrayContaining([{ stream: 'stdout', ts: null, line: 'last-out' }, { stream: 'stderr', ts: null, line: 'last-err' }]);
    expect(await read(false)).toEqual(expected);
    expect(await read(true)).toEqual(expected); // resolves: the container is not running, nothing more will come
  });

  it('has nothing to serve once the container is gone (the instance is no longer desired)', async () => {
    await ctx.agent.reconciler.apply(2, []);
    await expect(read(false)).rejects.toBeInstanceOf(UnknownInstanceError);
  });
});
