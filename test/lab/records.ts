import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { RUN_DIR } from './plan';
import { isAlive, startTime } from './processes';

/**
 * Every process the lab starts gets a file here: `<stage>.<label>.<pid>` holding "pid starttime".
 * Teardown stops them stage by stage (processes on the hosts, then dockerd, containerd, registry)
 * and only if pid and start time still match, so a reused pid is never signalled.
 */
const PROCS_DIR = `${RUN_DIR}/procs`;

export enum Stage {
  Workload = 1,
  Dockerd = 2,
  Containerd = 3,
  Registry = 4,
}

export interface RecordedProcess {
  pid: number;
  stage: Stage;
  label: string;
}

export function recordProcess(pid: number, stage: Stage, label: string): void {
  mkdirSync(PROCS_DIR, { recursive: true });
  writeFileSync(`${PROCS_DIR}/${stage}.${label}.${pid}`, `${pid} ${startTime(pid) ?? ''}\n`);
}

export function forgetProcess(pid: number): void {
  for (const name of list()) if (name.endsWith(`.${pid}`)) rmSync(`${PROCS_DIR}/${name}`, { force: true });
}

/** Recorded processes that are still alive and are still the process we started. */
export function liveRecordedProcesses(): RecordedProcess[] {
  return list().flatMap((name) => {
    const match = /^(\d)\.(.+)\.(\d+)$/.exec(name);
    if (!match) return [];
    const pid = Number(match[3]);
    const [, recordedStart] = readFileSync(`${PROCS_DIR}/${name}`, 'utf8').trim().split(' ');
    if (!isAlive(pid) || startTime(pid) !== recordedStart) return [];
    return [{ pid, stage: Number(match[1]) as Stage, label: match[2] }];
  });
}

function list(): string[] {
  try {
    return readdirSync(PROCS_DIR);
  } catch {
    return [];
  }
}
