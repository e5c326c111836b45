/**
 * Names and addresses of the lab's own resources. They differ from the reference lab in
 * /work/shared/lab (labbr0, 192.168.77.0/24, nodeN, /run/oja-lab) so both can run side by side,
 * and every name starts with a prefix that teardown uses to find leftovers of a crashed run.
 */
export const BRIDGE = 'ojalab0';
export const SUBNET_PREFIX = '192.168.78';
/** Root netns side of the underlay: control plane and registry listen here. */
export const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
export const REGISTRY_ADDRESS = `${BRIDGE_ADDRESS}:5000`;
export const REGISTRY_USER = 'oja';
export const REGISTRY_PASSWORD = 'oja-testlab-pass';
export const IMAGE = 'oja/busybox:1';
export const MTU = 1420;

export const RUN_DIR = '/run/oja-testlab';
export const LIB_DIR = '/var/lib/oja-testlab';

export const NETNS_PATTERN = /^ojahost(\d+)$/;
export const VETH_PATTERN = /^ojalabv(\d+)$/;
export const CGROUP_PATTERN = /^oja-testlab-host\d+$/;

export const hostName = (n: number) => `ojahost${n}`;
/** Root netns end of host N's veth (the other end is `eth0` inside the host). */
export const vethName = (n: number) => `ojalabv${n}`;
export const hostAddress = (n: number) => `${SUBNET_PREFIX}.${10 + n}`;
/** docker0 of host N: outside the overlay pool 10.42.0.0/16, which the agent manages. */
export const dockerBridgeCidr = (n: number) => `172.31.${n}.1/24`;
export const cgroupParent = (n: number) => `oja-testlab-host${n}`;

export function hostPaths(n: number) {
  const run = `${RUN_DIR}/${hostName(n)}`;
  const lib = `${LIB_DIR}/${hostName(n)}`;
  return {
    run,
    lib,
    dockerSocket: `${run}/docker.sock`,
    dockerHost: `unix://${run}/docker.sock`,
    dockerConfig: `${run}/docker-config`,
    containerdState: `${run}/containerd`,
    containerdSocket: `${run}/containerd/containerd.sock`,
    /** Bind-mounted on /run/wireguard for processes on this host (wireguard-go UAPI sockets). */
    wireguardRun: `${run}/wireguard`,
    /** Bind-mounted on /run/oja (the agent's sockets) for processes on this host. */
    ojaRun: `${run}/oja`,
    logs: `${run}/logs`,
  };
}
