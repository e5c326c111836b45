import { AgentMessage, ControlMessage } from './index';

// The wire contract must survive an encode/decode round trip with its oneofs and maps intact:
// both ends are generated from one proto, but a stale generation or a wrong ts-proto option breaks this.
describe('agent.proto messages', () => {
  it('round-trips a DesiredState with every probe kind and resolved credentials', () => {
    const message: ControlMessage = {
      kind: {
        $case: 'desiredState',
        value: {
          generation: 42,
          instances: [
            {
              id: 'i-1', tenant: 'acme', deployment: 'web', revision: 3, image: '192.168.77.1:5000/acme/web:1.2',
              command: ['httpd', '-f'], env: { GREETING: 'hello' },
              ports: [{ name: 'http', container: 8080, publish: 8080 }],
              resources: { cpu: 0.25, memoryMb: 64 },
              health: { probe: { $case: 'http', value: { path: '/healthz', port: 8080 } }, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 },
              capabilities: ['NET_BIND_SERVICE'], stopGracePeriodSeconds: 10,
              registryAuth: { server: '192.168.77.1:5000', username: 'u', password: 'p' },
            },
          ],
        },
      },
    };
    const decoded = ControlMessage.decode(ControlMessage.encode(message).finish());
    expect(decoded.kind?.$case).toBe('desiredState');
    expect(ControlMessage.toJSON(decoded)).toEqual(ControlMessage.toJSON(message));
  });

  it('round-trips a Register carrying adopted instances', () => {
    const message = AgentMessage.fromPartial({
      kind: { $case: 'register', value: { nodeName: 'node1', labels: { zone: 'a' }, instances: [{ instanceId: 'i-1', state: 'running', exitCode: -1 }] } },
    });
    const decoded = AgentMessage.decode(AgentMessage.encode(message).finish());
    expect(decoded.kind?.$case).toBe('register');
    if (decoded.kind?.$case !== 'register') throw new Error('not a register');
    expect(decoded.kind.value.labels).toEqual({ zone: 'a' });
    expect(decoded.kind.value.instances[0]).toMatchObject({ instanceId: 'i-1', state: 'running', exitCode: -1 });
  });
});
