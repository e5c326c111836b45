import type Docker from 'dockerode';
import { OVERLAY_BRIDGE, OVERLAY_MTU, OVERLAY_NETWORK, type OverlayPlan } from './address-plan';

/** Options of the `oja` bridge: a fixed interface name for our rules, the overlay MTU, no NAT of its own. */
export function overlayNetworkOptions(): Record<string, string> {
  return {
    'com.docker.network.bridge.name': OVERLAY_BRIDGE,
    'com.docker.network.driver.mtu': String(OVERLAY_MTU),
    // Docker would masquerade everything leaving the bridge, overlay traffic included; our nat chain does it instead.
    'com.docker.network.bridge.enable_ip_masquerade': 'false',
  };
}

interface NetworkFacts {
  Options?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
  Containers?: Record<string, unknown>;
}

/** Whether an existing network already is the one the plan wants. Pure. */
export function networkMatches(network: NetworkFacts, plan: OverlayPlan): boolean {
  const config = network.IPAM?.Config ?? [];
  const options = network.Options ?? {};
  return (
    config.length === 1 &&
    config[0].Subnet === plan.subnet &&
    config[0].Gateway === plan.gateway &&
    Object.entries(overlayNetworkOptions()).every(([key, value]) => options[key] === value)
  );
}

/**
 * Creates the Docker network `oja` on the node's /24 unless it exists as planned. One left from an earlier subnet
 * (the node was removed and joined again) is replaced, which Docker refuses while containers are attached to it.
 */
export async function ensureOverlayNetwork(docker: Docker, plan: OverlayPlan): Promise<void> {
  const existing = (await docker.listNetworks({ filters: { name: [OVERLAY_NETWORK] } })).find((n) => n.Name === OVERLAY_NETWORK);
  if (existing) {
    const facts = (await docker.getNetwork(existing.Id).inspect()) as NetworkFacts;
    if (networkMatches(facts, plan)) return;
    await docker.getNetwork(existing.Id).remove();
  }
  await docker.createNetwork({
    Name: OVERLAY_NETWORK,
    Driver: 'bridge',
    CheckDuplicate: true,
    Options: overlayNetworkOptions(),
    IPAM: { Driver: 'default', Config: [{ Subnet: plan.subnet, Gateway: plan.gateway }] },
    Labels: { 'oja.network': 'overlay' },
  });
}

/** Removes the network (absent is fine); Docker refuses while containers use it. */
export async function removeOverlayNetwork(docker: Docker): Promise<void> {
  const existing = (await docker.listNetworks({ filters: { name: [OVERLAY_NETWORK] } })).find((n) => n.Name === OVERLAY_NETWORK);
  if (existing) await docker.getNetwork(existing.Id).remove();
}
