import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive, startTime } from './processes';

/**
 * One lab per machine at a time (its names and addresses are fixed): a lock file outside the state
 * dirs names the owning process (pid + start time). Other test runs wait for it; teardown leaves a
 * lab owned by another live process alone, and treats a dead owner's lab as leftovers.
 */
const LOCK = '/run/oja-testlab.lock';

function owner(): { pid: number; start: string } | undefined {
  try {
    const [pid, start] = readFileSync(LOCK, 'utf8').trim().split(' ');
    return { pid: Number(pid), start };
  } catch {
    return undefined;
  }
}

function isLiveOwner(o: { pid: number; start: string }): boolean {
  return isAlive(o.pid) && startTime(o.pid) === o.start;
}

/** True while another live process owns the lab. */
export function ownedByAnotherProcess(): boolean {
  const o = owner();
  return o !== undefined && o.pid !== process.pid && isLiveOwner(o);
}

/** Takes the lock, waiting while another live process holds it; a dead owner's lock is taken over. */
export async function acquireLab(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // written aside and hard-linked into place: atomic, and never seen half-written
    const mine = `${LOCK}.${process.pid}`;
    writeFileSync(mine, `${process.pid} ${startTime(process.pid)}\n`);
    try {
      linkSync(mine, LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(mine, { force: true });
    }
    const o = owner();
    if (o === undefined || !isLiveOwner(o)) {
      rmSync(LOCK, { force: true });
    } else if (o.pid === process.pid) {
      throw new Error('this process already has a lab up; call down() first');
    } else if (Date.now() > deadline) {
      throw new Error(`a lab owned by pid ${o.pid} is still up after ${timeoutMs} ms`);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Drops the lock if it is ours or its owner is gone. */
export function releaseLab(): void {
  if (!ownedByAnotherProcess()) rmSync(LOCK, { force: true });
}
