import { readFileSync } from 'node:fs';

/**
 * Process helpers that work from pids alone, so teardown also handles daemons of a crashed run.
 * Synchronous on purpose: teardown must be able to run inside a process 'exit' handler.
 */

/** Fields of /proc/PID/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Running and not a zombie. `kill -0` is not enough: this machine's PID 1 reaps orphans lazily,
 * and a killed child of ours stays a zombie while our event loop is blocked.
 */
export function isAlive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** Start time in clock ticks since boot; with the pid it identifies a process despite pid reuse. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM all, wait up to `graceMs`, SIGKILL the rest and wait until they are gone. */
export function stopPids(pids: readonly number[], graceMs: number): void {
  const live = pids.filter(isAlive);
  live.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) sleepSync(50);
  live.filter(isAlive).forEach((pid) => signal(pid, 'SIGKILL'));
  const killDeadline = Date.now() + 5000;
  while (live.some(isAlive) && Date.now() < killDeadline) sleepSync(50);
}

/** Thrown by a waitFor probe when waiting longer cannot help (e.g. the daemon exited). */
export class GiveUp extends Error {}

/** Polls `probe` until it returns a value other than undefined/false; its errors are retried, GiveUp ends the wait. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
