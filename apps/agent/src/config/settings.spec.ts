import type { NetworkInterfaceInfo } from 'node:os';
import { ConfigError, effectiveSettings, firstExternalIPv4, mergeSettings, planStart, type HostFacts, type SavedIdentity } from './settings';

const HASH = 'ab'.repeat(32);
const TOKEN = `OJA1-${HASH}-c2VjcmV0LXNlY3JldC1zZWNyZXQ`;
const saved: SavedIdentity = { nodeId: 'n-1', nodeName: 'node-1', controlPlane: '10.0.0.1:7401' };

function iface(address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo {
  return { address, internal, family, netmask: '', mac: '', cidr: null } as NetworkInterfaceInfo;
}

describe('planStart', () => {
  it('joins when there is no identity and --join, --token, --name are given', () => {
    expect(planStart({ dataDir: '/d', join: '10.0.0.1:7401', token: TOKEN, name: 'node-1' }, undefined)).toEqual({
      kind: 'join',
      controlPlane: '10.0.0.1:7401',
      token: { caSha256: HASH, secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' },
      nodeName: 'node-1',
      warnings: [],
    });
  });

  it('names every missing flag on a first start', () => {
    expect(() => planStart({ dataDir: '/d', name: 'node-1' }, undefined)).toThrow(
      new ConfigError('this node has not joined yet (no identity in /d): --join, --token required'),
    );
  });

  it('refuses a node name that is not a host name', () => {
    expect(() => planStart({ dataDir: '/d', join: 'a:1', token: TOKEN, name: 'Node_1' }, undefined)).toThrow(/^--name must be a host name/);
  });

  it('refuses a malformed token before contacting anyone', () => {
    expect(() => planStart({ dataDir: '/d', join: 'a:1', token: 'OJA1-abc-def', name: 'node-1' }, undefined)).toThrow(/^--token: the join token is malformed/);
  });

  it('resumes from the data dir alone', () => {
    expect(planStart({ dataDir: '/d' }, saved)).toEqual({ kind: 'resume', identity: saved, warnings: [] });
  });

  it('resumes when the flags agree with the saved identity', () => {
    expect(planStart({ dataDir: '/d', name: 'node-1', join: '10.0.0.1:7401' }, saved)).toEqual({ kind: 'resume', identity: saved, warnings: [] });
  });

  it('refuses a different --name than the saved identity', () => {
    expect(() => planStart({ dataDir: '/d', name: 'node-2' }, saved)).toThrow(
      '--name "node-2" does not match this node\'s identity "node-1" saved in /d',
    );
  });

  it('ignores a --token after joining, with a warning', () => {
    const plan = planStart({ dataDir: '/d', token: TOKEN }, saved);
    expect(plan.kind).toBe('resume');
    expect(plan.warnings).toEqual(['already joined as "node-1": --token is not needed and was ignored']);
  });

  it('follows a control plane that moved', () => {
    const plan = planStart({ dataDir: '/d', join: '10.0.0.2:7401' }, saved);
    expect(plan).toEqual({
      kind: 'resume',
      identity: { ...saved, controlPlane: '10.0.0.2:7401' },
      warnings: ['control plane address changed from 10.0.0.1:7401 to 10.0.0.2:7401'],
    });
  });
});

describe('settings', () => {
  const host: HostFacts = {
    cpus: 4,
    memoryMb: 8192,
    interfaces: { lo: [iface('127.0.0.1', true)], eth0: [iface('fe80::1', false, 'IPv6'), iface('192.168.77.11')], docker0: [iface('172.17.0.1')] },
  };

  it('remembers given flags over saved ones and keeps the rest', () => {
    const merged = mergeSettings({ dataDir: '/d', labels: { zone: 'b' }, capacityCpu: 2 }, { labels: { zone: 'a' }, metricsAddr: '0.0.0.0:7402' });
    expect(merged).toEqual({ labels: { zone: 'b' }, capacityCpu: 2, metricsAddr: '0.0.0.0:7402' });
  });

  it('defaults capacity to the machine and the address to the first external IPv4', () => {
    expect(effectiveSettings({}, host)).toEqual({
      labels: {},
      advertiseAddress: '192.168.77.11',
      metricsAddr: undefined,
      capacity: { cpu: 4, memoryMb: 8192 },
      overlay: true,
      wgPort: 51820,
    });
  });

  it('remembers --no-overlay and --wg-port across restarts, and --overlay turns it back on', () => {
    const first = mergeSettings({ dataDir: '/d', overlay: false, wgPort: 51999 }, {});
    const restarted = mergeSettings({ dataDir: '/d' }, first);
    expect(effectiveSettings(restarted, host)).toMatchObject({ overlay: false, wgPort: 51999 });
    expect(effectiveSettings(mergeSettings({ dataDir: '/d', overlay: true }, restarted), host).overlay).toBe(true);
  });

  it('uses what was given', () => {
    expect(effectiveSettings({ advertiseAddress: '10.1.1.1', capacityCpu: 1, capacityMemoryMb: 512, labels: { a: 'b' } }, host)).toMatchObject({
      labels: { a: 'b' },
      advertiseAddress: '10.1.1.1',
      capacity: { cpu: 1, memoryMb: 512 },
    });
  });

  it('asks for --advertise-address when the machine has only loopback', () => {
    expect(() => effectiveSettings({}, { ...host, interfaces: { lo: [iface('127.0.0.1', true)] } })).toThrow('pass --advertise-address');
  });

  it('finds no external address among internal and IPv6 ones', () => {
    expect(firstExternalIPv4({ lo: [iface('127.0.0.1', true)], eth0: [iface('fe80::1', false, 'IPv6')] })).toBeUndefined();
  });
});
