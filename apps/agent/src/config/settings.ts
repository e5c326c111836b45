import { nodeName as nodeNameSchema } from '@oja/contracts';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseJoinToken, type JoinToken } from '../identity/join-token';
import { DEFAULT_WG_PORT } from '../network/address-plan';
import type { AgentFlags } from './flags';

/** Who this node is, saved in the data dir after a successful join. */
export interface SavedIdentity {
  nodeId: string;
  nodeName: string;
  /** gRPC address of the control plane, HOST:PORT. */
  controlPlane: string;
}

/** Flags remembered across restarts so that `--data-dir` alone restarts the agent as it was. */
export interface SavedSettings {
  labels?: Record<string, string>;
  advertiseAddress?: string;
  metricsAddr?: string;
  capacityCpu?: number;
  capacityMemoryMb?: number;
  wgPort?: number;
  overlay?: boolean;
}

/** Facts about the machine used for defaults. */
export interface HostFacts {
  cpus: number;
  memoryMb: number;
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export interface AgentSettings {
  labels: Record<string, string>;
  advertiseAddress: string;
  metricsAddr: string | undefined;
  capacity: { cpu: number; memoryMb: number };
  overlay: boolean;
  wgPort: number;
}

export type StartPlan =
  | { kind: 'join'; controlPlane: string; token: JoinToken; nodeName: string; warnings: string[] }
  | { kind: 'resume'; identity: SavedIdentity; warnings: string[] };

/** A configuration the agent refuses to start with; main prints the message and exits 1. */
export class ConfigError extends Error {}

/**
 * First start (no identity in the data dir): --join, --token and --name are all needed.
 * Restart: the saved identity is used; a --name that differs is refused (it would be another node), a --join that
 * differs replaces the saved address (the control plane moved; its CA is still checked), a --token is ignored.
 */
export function planStart(flags: AgentFlags, identity: SavedIdentity | undefined): StartPlan {
  if (!identity) {
    const missing = (['join', 'token', 'name'] as const).filter((f) => !flags[f]).map((f) => `--${f}`);
    if (missing.length > 0) {
      throw new ConfigError(`this node has not joined yet (no identity in ${flags.dataDir}): ${missing.join(', ')} required`);
    }
    const name = nodeNameSchema.safeParse(flags.name);
    if (!name.success) throw new ConfigError(`--name ${name.error.issues[0].message}`);
    try {
      return { kind: 'join', controlPlane: flags.join!, token: parseJoinToken(flags.token!), nodeName: name.data, warnings: [] };
    } catch (err) {
      throw new ConfigError(`--token: ${(err as Error).message}`);
    }
  }
  if (flags.name !== undefined && flags.name !== identity.nodeName) {
    throw new ConfigError(
      `--name "${flags.name}" does not match this node's identity "${identity.nodeName}" saved in ${flags.dataDir}; ` +
        'to join as another node use an empty --data-dir',
    );
  }
  const warnings: string[] = [];
  if (flags.token !== undefined) warnings.push(`already joined as "${identity.nodeName}": --token is not needed and was ignored`);
  let resumed = identity;
  if (flags.join !== undefined && flags.join !== identity.controlPlane) {
    warnings.push(`control plane address changed from ${identity.controlPlane} to ${flags.join}`);
    resumed = { ...identity, controlPlane: flags.join };
  }
  return { kind: 'resume', identity: resumed, warnings };
}

/** What to remember: the saved settings overridden by whatever was given now. */
export function mergeSettings(flags: AgentFlags, saved: SavedSettings): SavedSettings {
  const given: SavedSettings = {
    labels: flags.labels,
    advertiseAddress: flags.advertiseAddress,
    metricsAddr: flags.metricsAddr,
    capacityCpu: flags.capacityCpu,
    capacityMemoryMb: flags.capacityMemoryMb,
    wgPort: flags.wgPort,
    overlay: flags.overlay,
  };
  const merged: SavedSettings = { ...saved };
  for (const [key, value] of Object.entries(given) as [keyof SavedSettings, never][]) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Fills what was never given with the machine's defaults. */
export function effectiveSettings(saved: SavedSettings, host: HostFacts): AgentSettings {
  const advertiseAddress = saved.advertiseAddress ?? firstExternalIPv4(host.interfaces);
  if (!advertiseAddress) throw new ConfigError('no non-loopback IPv4 address found: pass --advertise-address');
  return {
    labels: saved.labels ?? {},
    advertiseAddress,
    metricsAddr: saved.metricsAddr,
    capacity: { cpu: saved.capacityCpu ?? host.cpus, memoryMb: saved.capacityMemoryMb ?? host.memoryMb },
    overlay: saved.overlay ?? true,
    wgPort: saved.wgPort ?? DEFAULT_WG_PORT,
  };
}

/** The first non-internal IPv4 address in interface order (in the lab: the namespace's eth0). */
export function firstExternalIPv4(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  for (const addresses of Object.values(interfaces)) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}
