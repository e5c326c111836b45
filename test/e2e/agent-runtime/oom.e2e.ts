import { desiredInstance, nodeUnderTest, waitFor } from './support';

/** The memory limit is real: a container that outgrows it is OOM-killed, reported as such, and restarted. */
describe('agent runtime: memory limit', () => {
  const ctx = nodeUnderTest('oom');

  it('reports an OOM kill with its exit code and restarts the container', async () => {
    const hog = desiredInstance({
      deployment: 'hog',
      resources: { cpu: 0.5, memoryMb: 16 },
      command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    });
    const { agent } = ctx;
    await agent.reconciler.apply(1, [hog]);
    await waitFor(() => (agent.report(hog.id)?.restarts ?? 0) >= 1, 'a restart after the OOM kill', 30_000);
    const exited = agent.reports.find((r) => r.id === hog.id && r.state === 'exited');
    expect(exited).toMatchObject({ exitCode: 137, reason: 'killed: out of memory (exit code 137); restarting in 1s' });
  });
});
