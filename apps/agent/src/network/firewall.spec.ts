import { RecordingRunner } from '@oja/wireguard';
import { overlayPlan } from './address-plan';
import { filterChains, HOOKS, natChains, restoreInput } from './firewall';
import { Iptables } from './iptables';

const plan = overlayPlan('10.42.2.0/24', '10.42.0.0/16');

describe('overlay firewall rules', () => {
  it('checks isolation before accepting overlay ↔ bridge forwarding', () => {
    const rules = filterChains()['OJA-FORWARD'].map((r) => r.join(' '));
    expect(rules[0]).toBe('-j OJA-ISOLATION');
    expect(rules).toContain('-i oja0 -o ojabr0 -j ACCEPT');
    expect(rules).toContain('-o oja0 -j ACCEPT');
  });

  it('masquerades only non-overlay sources into oja0 and the subnet leaving for the underlay', () => {
    expect(natChains(plan)['OJA-POSTROUTING'].map((r) => r.join(' '))).toEqual([
      '-o oja0 ! -s 10.42.0.0/16 -j MASQUERADE',
      '-s 10.42.2.0/24 ! -d 10.42.0.0/16 ! -o ojabr0 -j MASQUERADE',
    ]);
  });

  it('rewrites owned chains whole in one iptables-restore transaction', () => {
    expect(restoreInput('nat', natChains(plan))).toBe(
      [
        '*nat',
        ':OJA-POSTROUTING - [0:0]',
        '-A OJA-POSTROUTING -o oja0 ! -s 10.42.0.0/16 -j MASQUERADE',
        '-A OJA-POSTROUTING -s 10.42.2.0/24 ! -d 10.42.0.0/16 ! -o ojabr0 -j MASQUERADE',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});

describe('Iptables', () => {
  it('inserts a hook only when `-C` does not find it', async () => {
    const runner = new RecordingRunner().when('iptables --wait -t filter -C DOCKER-USER', { fail: 'Bad rule' });
    const iptables = new Iptables(runner);
    await iptables.ensureHook(HOOKS[0]);
    expect(runner.lines()).toEqual([
      'iptables --wait -t filter -C DOCKER-USER -j OJA-FORWARD',
      'iptables --wait -t filter -I DOCKER-USER 1 -j OJA-FORWARD',
    ]);

    const present = new RecordingRunner();
    await new Iptables(present).ensureHook(HOOKS[0]);
    expect(present.lines()).toEqual(['iptables --wait -t filter -C DOCKER-USER -j OJA-FORWARD']);
  });

  it('removes every copy of a hook, then its chain', async () => {
    let copies = 2;
    const runner = new RecordingRunner().when('iptables --wait -t nat -D POSTROUTING', () => (copies-- > 0 ? '' : { fail: 'No chain/target/match' }));
    await new Iptables(runner).removeHookAndChain(HOOKS[1]);
    expect(runner.lines()).toEqual([
      'iptables --wait -t nat -D POSTROUTING -j OJA-POSTROUTING',
      'iptables --wait -t nat -D POSTROUTING -j OJA-POSTROUTING',
      'iptables --wait -t nat -D POSTROUTING -j OJA-POSTROUTING',
      'iptables --wait -t nat -F OJA-POSTROUTING',
      'iptables --wait -t nat -X OJA-POSTROUTING',
    ]);
  });
});
