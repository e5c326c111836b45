interface Lane {
  tail: Promise<void>;
  /** The queued run that has not started yet; further requests join it instead of queuing more. */
  waiting: Promise<void> | null;
}

/**
 * Runs tasks one at a time per key (different keys run concurrently). A request made while a run for
 * the key is already queued joins that run: the work is level-triggered, so one more pass suffices.
 */
export class KeyedLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  run(key: string, task: () => Promise<void>): Promise<void> {
    const existing = this.lanes.get(key);
    if (existing?.waiting) return existing.waiting;
    const lane: Lane = existing ?? { tail: Promise.resolve(), waiting: null };
    const next = lane.tail
      .then(() => {
        lane.waiting = null;
        return task();
      })
      .catch((err: unknown) => this.onError(key, err))
      .finally(() => {
        if (lane.tail === next) this.lanes.delete(key);
      });
    lane.waiting = next;
    lane.tail = next;
    this.lanes.set(key, lane);
    return next;
  }

  /** Resolves once every lane has drained (including runs queued meanwhile). */
  async idle(): Promise<void> {
    while (this.lanes.size) await Promise.all([...this.lanes.values()].map((l) => l.tail));
  }
}
