import { backendName, capacityFor, sameShape, serverName, shapeOf } from './haproxy-config';
import type { MeshBackend, MeshRoute, RouteTable, Slot } from './types';

/**
 * Pure transitions of the mesh's slot tables, each with the runtime-API commands that make HAProxy match.
 *
 * A backend that leaves the routes is drained, not dropped: it keeps its slot (weight 0, open sessions finish)
 * until `releaseSlot` once it has no session left. Its slot is reused only then.
 */
export interface MeshPlan {
  tables: Map<number, RouteTable>;
  /** Runtime API commands, in order; valid for the running worker only when `reload` is false. */
  commands: string[];
  /** Frontends or slot counts changed: the config must be rewritten and HAProxy reloaded (commands are then moved into the config). */
  reload: boolean;
}

const setAddr = (port: number, slot: number, b: MeshBackend) => `set server ${backendName(port)}/${serverName(slot)} addr ${b.address} port ${b.port}`;
const setState = (port: number, slot: number, state: 'ready' | 'drain' | 'maint') => `set server ${backendName(port)}/${serverName(slot)} state ${state}`;

/** Takes the cluster's routes as the new truth for every published port. */
export function applyRoutes(current: ReadonlyMap<number, RouteTable>, routes: readonly MeshRoute[]): MeshPlan {
  const tables = new Map<number, RouteTable>();
  const commands: string[] = [];
  let reload = false;
  for (const route of routes) {
    const previous = current.get(route.publishPort);
    const { table, commands: routeCommands, grew } = placeBackends(route, previous);
    tables.set(route.publishPort, table);
    commands.push(...routeCommands);
    if (!previous || grew || !sameShape(previous.shape, table.shape)) reload = true;
  }
  // A published port that went away: its frontend goes with the next reload (its open connections finish on the old worker).
  for (const port of current.keys()) if (!tables.has(port)) reload = true;
  return { tables, commands, reload };
}

function placeBackends(route: MeshRoute, previous: RouteTable | undefined): { table: RouteTable; commands: string[]; grew: boolean } {
  const port = route.publishPort;
  const wanted = new Map(route.backends.map((b) => [b.instanceId, b]));
  const slots: (Slot | null)[] = [...(previous?.slots ?? [])];
  const commands: string[] = [];

  slots.forEach((slot, i) => {
    if (!slot) return;
    const backend = wanted.get(slot.instanceId);
    if (!backend) {
      if (slot.state === 'ready') {
        slots[i] = { ...slot, state: 'drain' };
        commands.push(setState(port, i, 'drain'));
      }
      return;
    }
    wanted.delete(slot.instanceId);
    if (backend.address !== slot.address || backend.port !== slot.port) commands.push(setAddr(port, i, backend));
    if (slot.state !== 'ready') commands.push(setState(port, i, 'ready'));
    slots[i] = { ...backend, state: 'ready' };
  });

  for (const backend of wanted.values()) {
    let free = slots.indexOf(null);
    if (free < 0) free = slots.push(null) - 1;
    slots[free] = { ...backend, state: 'ready' };
    commands.push(setAddr(port, free, backend), setState(port, free, 'ready'));
  }

  const previousCapacity = previous?.shape.capacity ?? 0;
  const capacity = Math.max(previousCapacity, capacityFor(slots.length));
  while (slots.length < capacity) slots.push(null);
  return { table: { shape: shapeOf(route, capacity), slots }, commands, grew: capacity > previousCapacity };
}

/** Starts draining one instance wherever it has a slot (before its container stops). */
export function drainInstance(current: ReadonlyMap<number, RouteTable>, instanceId: string): MeshPlan {
  const tables = new Map<number, RouteTable>();
  const commands: string[] = [];
  for (const [port, table] of current) {
    const slots = table.slots.map((slot, i) => {
      if (slot?.instanceId !== instanceId || slot.state === 'drain') return slot;
      commands.push(setState(port, i, 'drain'));
      return { ...slot, state: 'drain' as const };
    });
    tables.set(port, { shape: table.shape, slots });
  }
  return { tables, commands, reload: false };
}

/** Frees a drained slot that has no session left: the server goes to maintenance and the slot can be reused. */
export function releaseSlot(current: ReadonlyMap<number, RouteTable>, port: number, slot: number): MeshPlan {
  const table = current.get(port);
  if (table?.slots[slot]?.state !== 'drain') return { tables: new Map(current), commands: [], reload: false };
  const slots = [...table.slots];
  slots[slot] = null;
  const tables = new Map(current);
  tables.set(port, { shape: table.shape, slots });
  return { tables, commands: [setState(port, slot, 'maint')], reload: false };
}

/**
 * Whether the wait before an instance's container is stopped is over: none of its slots is draining any more
 * (their sessions reached 0, so releaseSlot freed them), or it has waited its grace period (whichever first). It
 * gets its grace period again after SIGTERM, before SIGKILL.
 */
export function drainWaitOver(tables: ReadonlyMap<number, RouteTable>, instanceId: string, waitedMs: number, graceMs: number): boolean {
  return waitedMs >= graceMs || !drainingSlots(tables).some((s) => s.instanceId === instanceId);
}

/** Drained slots, for the watcher that frees them once their sessions reach 0. */
export function drainingSlots(tables: ReadonlyMap<number, RouteTable>): { port: number; slot: number; instanceId: string }[] {
  const out: { port: number; slot: number; instanceId: string }[] = [];
  for (const [port, table] of tables) {
    table.slots.forEach((s, slot) => {
      if (s?.state === 'drain') out.push({ port, slot, instanceId: s.instanceId });
    });
  }
  return out;
}
