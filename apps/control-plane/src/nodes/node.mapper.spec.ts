import { toNodeView, type NodeRow } from './node.mapper';

const row: NodeRow = {
  id: 'id-1',
  name: 'n1',
  status: 'draining',
  drained: true,
  underlay_address: '192.168.77.11',
  overlay_subnet: null,
  labels: null,
  capacity_cpu: 2,
  capacity_memory_mb: 2048,
  dedicated_tenant_id: 't1',
  dedicated_tenant_name: 'acme',
  last_heartbeat_at: new Date('2026-11-23T12:00:00Z'),
  agent_version: null,
  // pg returns sum()/count() of bigint and numeric as strings
  allocated_cpu: 0.30000000000000004,
  allocated_memory_mb: '192',
  instance_count: '3',
};

describe('toNodeView', () => {
  it('turns aggregates into numbers, rounds float sums and fills empty labels', () => {
    expect(toNodeView(row)).toEqual({
      name: 'n1',
      status: 'draining',
      drained: true,
      underlayAddress: '192.168.77.11',
      overlaySubnet: null,
      labels: {},
      capacity: { cpu: 2, memoryMb: 2048 },
      allocated: { cpu: 0.3, memoryMb: 192 },
      instances: 3,
      dedicatedTenant: 'acme',
      lastHeartbeatAt: '2026-11-23T12:00:00.000Z',
      agentVersion: null,
    });
  });

  it('reads a node without instances as nothing allocated', () => {
    expect(toNodeView({ ...row, allocated_cpu: null, allocated_memory_mb: null, instance_count: null, last_heartbeat_at: null })).toMatchObject({
      allocated: { cpu: 0, memoryMb: 0 },
      instances: 0,
      lastHeartbeatAt: null,
    });
  });

  it('refuses a status outside the contract', () => {
    expect(() => toNodeView({ ...row, status: 'sleeping' })).toThrow(/node status "sleeping"/);
  });
});
