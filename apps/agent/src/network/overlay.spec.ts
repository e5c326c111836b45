import { generateKeyPair } from '@oja/wireguard';
import { overlayPlan } from './address-plan';
import { desiredPeers, missingTools, nodeAddresses } from './overlay';

const key = generateKeyPair().publicKey;
const peer = (over: object = {}) => ({ nodeName: 'n2', publicKey: key, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'], ...over });

describe('overlay peers', () => {
  it('maps control-plane peers to WireGuard peers with keepalive', () => {
    expect(desiredPeers([peer()])).toEqual([{ publicKey: key, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'], persistentKeepalive: 25 }]);
  });

  it('skips peers without a valid key or subnet, and leaves an endpoint without port to roaming', () => {
    expect(desiredPeers([peer({ publicKey: 'nope' }), peer({ allowedIps: [] })])).toEqual([]);
    expect(desiredPeers([peer({ endpoint: '192.168.78.12' })])[0]).not.toHaveProperty('endpoint');
  });

  it("counts every node's subnet gateway as a node address", () => {
    expect(nodeAddresses(overlayPlan('10.42.1.0/24', '10.42.0.0/16'), [peer(), peer({ allowedIps: ['10.42.3.0/24'] })])).toEqual([
      '10.42.1.1',
      '10.42.2.1',
      '10.42.3.1',
    ]);
  });

  it('reports tools missing from PATH', () => {
    expect(missingTools(['sh', 'surely-not-a-tool-oja'], process.env.PATH)).toEqual(['surely-not-a-tool-oja']);
  });
});
