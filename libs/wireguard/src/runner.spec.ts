import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, execFileRunner } from './runner';

// The real runner against /bin/sh: exit codes, stderr, stdin, timeouts, and spawned processes.
describe('execFileRunner', () => {
  it('returns stdout and stderr of a successful command and feeds stdin', async () => {
    expect(await execFileRunner.run('sh', ['-c', 'cat; echo warn >&2'], { input: 'in\n' })).toEqual({ stdout: 'in\n', stderr: 'warn\n' });
  });

  it('rejects with the exit code and stderr', async () => {
    const error = await execFileRunner.run('sh', ['-c', 'echo "Device \\"oja0\\" does not exist." >&2; exit 1']).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ cmd: 'sh', exitCode: 1, stderr: 'Device "oja0" does not exist.\n' });
  });

  it('kills a command that outlives its timeout', async () => {
    await expect(execFileRunner.run('sleep', ['30'], { timeoutMs: 100 })).rejects.toThrow(/timed out/);
  });

  it('rejects for a missing binary', async () => {
    await expect(execFileRunner.run('oja-no-such-binary', [])).rejects.toThrow(/ENOENT/);
    await expect(execFileRunner.spawn('oja-no-such-binary', [])).rejects.toThrow(/ENOENT/);
  });

  it('spawns a process with its pid, output tail and exit status', async () => {
    const child = await execFileRunner.spawn('sh', ['-c', 'echo started; exec sleep 30']);
    expect(child.pid).toBeGreaterThan(0);
    while (child.output() === '') await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.output()).toBe('started\n');
  });

  it('appends a spawned process output to a log file when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oja-wg-runner-'));
    try {
      const logPath = join(dir, 'wg.log');
      const child = await execFileRunner.spawn('sh', ['-c', 'echo one; echo two >&2; exit 4'], { logPath });
      expect(await child.exited).toEqual({ code: 4, signal: null });
      expect(await readFile(logPath, 'utf8')).toBe('one\ntwo\n');
      expect(child.output()).toBe('one\ntwo\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
