import { CONSTRAINT } from '@oja/contracts';
import type { SchedulerNode, TaintedNodes, TaintReason } from './types';

/**
 * Feasibility: one small checker per rule, as Nomad's FeasibilityCheckers. Each returns null when the node
 * passes, else the reason it was filtered; place() counts the reasons per rule to explain an unplaced instance.
 */

export type Rejection = string;

/** Only ready nodes take new instances: down ones are gone, draining ones are being emptied. */
export function checkReady(node: Pick<SchedulerNode, 'status'>): Rejection | null {
  return node.status === 'ready' ? null : node.status;
}

export interface TenantRef {
  tenantId: string;
  /** A dedicated tenant runs only on nodes dedicated to it. */
  tenantDedicated: boolean;
}

export const DEDICATED_TO_ANOTHER_TENANT = 'dedicated to another tenant';
export const NOT_DEDICATED_TO_TENANT = 'not dedicated to this tenant';

/** A node dedicated to tenant T takes only T's instances; a dedicated tenant goes only on its own nodes. */
export function checkDedicated(node: Pick<SchedulerNode, 'dedicatedTenantId'>, tenant: TenantRef): Rejection | null {
  if (node.dedicatedTenantId !== null) return node.dedicatedTenantId === tenant.tenantId ? null : DEDICATED_TO_ANOTHER_TENANT;
  return tenant.tenantDedicated ? NOT_DEDICATED_TO_TENANT : null;
}

export interface LabelConstraint {
  key: string;
  op: '==' | '!=';
  value: string;
  /** Normalised text for reasons: "label.zone == a". */
  text: string;
}

/** Parses "label.zone == a" / "label.zone != a" (the spec's CONSTRAINT grammar); null when malformed. */
export function parseConstraint(raw: string): LabelConstraint | null {
  const m = CONSTRAINT.exec(raw.trim());
  if (!m) return null;
  const [, key, op, value] = m;
  return { key, op: op as LabelConstraint['op'], value, text: `label.${key} ${op} ${value}` };
}

/** `==` needs the label with that value; `!=` passes when the label is missing or differs (as Nomad). */
export function matchesConstraint(labels: Readonly<Record<string, string>>, c: LabelConstraint): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, c.key) && labels[c.key] === c.value;
  return c.op === '==' ? has : !has;
}

/** The first constraint the node fails, as "not matching label.zone == a". */
export function checkConstraints(node: Pick<SchedulerNode, 'labels'>, constraints: readonly LabelConstraint[]): Rejection | null {
  const failed = constraints.find((c) => !matchesConstraint(node.labels, c));
  return failed ? `not matching ${failed.text}` : null;
}

/** Which resources are short; null when the request fits. Integers (millicores, MiB) so sums stay exact. */
export type Shortage = 'cpu' | 'memory' | 'cpu and memory';

export function checkFits(freeMilliCpu: number, freeMemoryMb: number, wantMilliCpu: number, wantMemoryMb: number): Shortage | null {
  const cpuShort = wantMilliCpu > freeMilliCpu;
  const memoryShort = wantMemoryMb > freeMemoryMb;
  if (cpuShort && memoryShort) return 'cpu and memory';
  if (cpuShort) return 'cpu';
  return memoryShort ? 'memory' : null;
}

/** CPU cores as integer millicores, so capacity arithmetic has no float drift (0.1 + 0.2). */
export function toMilliCpu(cores: number): number {
  return Math.round(cores * 1000);
}

/**
 * The static rules (they do not change while a batch places), in Nomad's order: the first failing rule is the
 * node's reason. Capacity is checked separately because it changes as the batch places.
 */
export function checkStatic(node: SchedulerNode, tenant: TenantRef, constraints: readonly LabelConstraint[]): Rejection | null {
  return checkReady(node) ?? checkDedicated(node, tenant) ?? checkConstraints(node, constraints);
}

/**
 * Reconcile's view of the nodes for one tenant: down, draining, or ineligible by the dedicated rules (the node
 * is now another tenant's, or this dedicated tenant's instance sits on a shared node). Constraints are not
 * re-checked for running instances (as Nomad: a label change alone does not move them).
 */
export function taintedNodesFor(nodes: readonly Pick<SchedulerNode, 'id' | 'status' | 'dedicatedTenantId'>[], tenant: TenantRef): TaintedNodes {
  const tainted: Record<string, TaintReason> = {};
  for (const node of nodes) {
    if (node.status !== 'ready') tainted[node.id] = node.status;
    else if (checkDedicated(node, tenant) !== null) tainted[node.id] = 'ineligible';
  }
  return tainted;
}
