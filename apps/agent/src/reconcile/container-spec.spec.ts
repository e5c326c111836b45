import { containerName, containerOptions, containerSpecHash } from './container-spec';
import { desiredInstance } from './fixtures';

describe('container spec', () => {
  const base = desiredInstance({ id: '3f2a9c1e-7b4d-4e8a-9f00-1234567890ab', env: { A: '1', B: '2' } });

  it('names the container after the deployment and the short instance id', () => {
    expect(containerName(base)).toBe('oja-web-3f2a9c1e7b4d');
  });

  it('hashes only what shapes the container', () => {
    const h = containerSpecHash(base);
    expect(containerSpecHash({ ...base, env: { B: '2', A: '1' } })).toBe(h);
    expect(containerSpecHash({ ...base, stopGracePeriodSeconds: 99 })).toBe(h);
    expect(containerSpecHash({ ...base, registryAuth: { server: 's', username: 'u', password: 'p' } })).toBe(h);
    expect(containerSpecHash({ ...base, health: { tcp: { port: 1 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, initialDelaySeconds: 0 } })).toBe(h);
    for (const changed of [
      { image: 'oja/busybox:2' },
      { command: ['sleep', '1'] },
      { env: { A: '1', B: '3' } },
      { resources: { cpu: 0.2, memoryMb: 32 } },
      { capabilities: ['NET_RAW'] },
      { revision: 2 },
      { network: 'oja' },
    ]) {
      expect(containerSpecHash({ ...base, ...changed })).not.toBe(h);
    }
  });

  it('sets limits, hardening and labels', () => {
    expect(containerOptions({ ...base, capabilities: ['CHOWN'], network: 'oja' }, 'n1', 100)).toEqual({
      name: 'oja-web-3f2a9c1e7b4d',
      image: 'oja/busybox:1',
      command: base.command,
      env: { A: '1', B: '2' },
      labels: {
        'oja.tenant': 'acme',
        'oja.deployment': 'web',
        'oja.instance': base.id,
        'oja.revision': '1',
        'oja.spec-hash': containerSpecHash({ ...base, capabilities: ['CHOWN'], network: 'oja' }),
        'oja.node': 'n1',
      },
      memoryMb: 32,
      cpu: 0.1,
      pidsLimit: 100,
      capAdd: ['CHOWN'],
      network: 'oja',
    });
  });
});
