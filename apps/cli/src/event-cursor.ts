/**
 * What `oja get events -w` has printed, and after which event id to list next. Ids grow with every insert, but a
 * transaction can commit after one holding a later id was already read: so the id asked after lags the events
 * printed by a re-read window, and each id is printed once. An event is missed only if its transaction committed
 * more than the window after a later event had been read.
 */
export class EventCursor {
  /** Printed ids above the floor, with when each was first seen (unix ms). */
  private readonly seen = new Map<string, number>();

  /** `floor`: the watch starts after this id (it prints nothing at or below it). */
  constructor(
    private readonly rereadMs: number,
    private floor: bigint,
  ) {}

  /** True the first time an id above the floor is seen: print the event then. */
  take(id: string, now: number): boolean {
    if (BigInt(id) <= this.floor || this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }

  /** The id to list after: ids seen longer ago than the window are settled, so the floor moves up to them. */
  after(now: number): string {
    for (const [id, seenAt] of this.seen) if (now - seenAt >= this.rereadMs && BigInt(id) > this.floor) this.floor = BigInt(id);
    for (const id of this.seen.keys()) if (BigInt(id) <= this.floor) this.seen.delete(id);
    return this.floor.toString();
  }
}
