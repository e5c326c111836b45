import type { PlacementRequest } from './types';

/**
 * Rank: which feasible node is best. Spread puts the fewest instances of the deployment on one node
 * (anti-affinity), then prefers the least loaded; binpack fills the most loaded node that still fits.
 * Ties go to the lower node id, so the same input always gives the same placement.
 */

export type Strategy = PlacementRequest['strategy'];

/** Share of the node in use, averaging cpu and memory (both dimensions count, as in Nomad's binpack score). */
export function nodeLoad(usedMilliCpu: number, capacityMilliCpu: number, usedMemoryMb: number, capacityMemoryMb: number): number {
  return (share(usedMilliCpu, capacityMilliCpu) + share(usedMemoryMb, capacityMemoryMb)) / 2;
}

function share(used: number, capacity: number): number {
  return capacity > 0 ? used / capacity : 1;
}

/** What rank reads for node index i; arrays so a heap compares without allocating. */
export interface RankView {
  /** Instances of the deployment being placed, per node. */
  readonly count: ArrayLike<number>;
  readonly load: ArrayLike<number>;
  /** Position of the node's id in sorted id order (the tie-break). */
  readonly idOrder: ArrayLike<number>;
}

/** `better(a, b)`: node a ranks before node b. */
export function rankOrder(strategy: Strategy, view: RankView): (a: number, b: number) => boolean {
  const { count, load, idOrder } = view;
  if (strategy === 'binpack') {
    return (a, b) => (load[a] !== load[b] ? load[a] > load[b] : idOrder[a] < idOrder[b]);
  }
  return (a, b) => {
    if (count[a] !== count[b]) return count[a] < count[b];
    return load[a] !== load[b] ? load[a] < load[b] : idOrder[a] < idOrder[b];
  };
}
