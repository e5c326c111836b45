import type { DeploymentSpec, InstanceState } from '@oja/contracts';

/**
 * One instance the control plane wants on this node (from DesiredState). The agent converges the
 * Docker engine to the full set of these; anything labelled oja.instance and not in the set is removed.
 */
export interface DesiredInstance {
  id: string;
  tenant: string;
  deployment: string;
  revision: number;
  image: string;
  command?: string[];
  env: Record<string, string>;
  ports: DeploymentSpec['ports'];
  resources: DeploymentSpec['resources'];
  health?: DeploymentSpec['health'];
  capabilities: string[];
  stopGracePeriodSeconds: number;
  /** Resolved registry credentials, present only when the image needs them. Never logged. */
  registryAuth?: { server: string; username: string; password: string };
  /** The overlay network to attach to (Docker network name); absent: the engine's default bridge. */
  network?: string;
}

/** What the agent reports for one instance (InstanceStatus on the wire). */
export interface InstanceStatusReport {
  id: string;
  state: InstanceState;
  containerId: string | null;
  overlayIp: string | null;
  healthy: boolean;
  restarts: number;
  exitCode: number | null;
  /** Why it is failed / unhealthy / pending ("pull denied: bad credentials"). */
  reason: string | null;
  /** Last health check results, newest last (bounded). */
  lastChecks?: { at: string; ok: boolean; output: string }[];
  /** Only on the one report sent right after the image was pulled for this instance (never in observed()). */
  pulledImage?: string;
}
