import { RecordingRunner } from '@oja/wireguard';
import fc from 'fast-check';
import { HOSTS_SET, TenantIsolation, addressSets, ipsetRestoreInput, isolationChain, staleSets, tenantSetName } from './isolation';
import { Iptables } from './iptables';

const POOL = '10.42.0.0/16';

describe('tenant address sets', () => {
  it('names sets by a hash of the tenant that fits ipset names', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (tenant) => {
        const name = tenantSetName(tenant);
        expect(name).toMatch(/^oja-t-[0-9a-f]{12}$/);
        expect(name.length).toBeLessThanOrEqual(31);
        expect(tenantSetName(tenant)).toBe(name);
      }),
    );
    expect(tenantSetName('acme')).not.toBe(tenantSetName('globex'));
  });

  it('merges a tenant listed twice, drops non-IPv4 entries, and always has the hosts set', () => {
    const sets = addressSets(
      [
        { tenant: 'acme', ips: ['10.42.1.3', '10.42.2.2'] },
        { tenant: 'acme', ips: ['10.42.1.3', 'not-an-ip', '10.42.3.300'] },
      ],
      ['10.42.1.1', '10.42.2.1'],
    );
    expect(sets).toEqual(
      new Map([
        [HOSTS_SET, ['10.42.1.1', '10.42.2.1']],
        [tenantSetName('acme'), ['10.42.1.3', '10.42.2.2']],
      ]),
    );
  });

  it('lets two overlay addresses talk only within one tenant set; everything else in the pool is dropped', () => {
    const sets = addressSets([{ tenant: 'b', ips: [] }, { tenant: 'a', ips: ['10.42.1.2'] }], ['10.42.1.1']);
    const rules = isolationChain(sets, POOL)['OJA-ISOLATION'].map((r) => r.join(' '));
    const [a, b] = [tenantSetName('a'), tenantSetName('b')].sort();
    expect(rules).toEqual([
      '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
      `-m set --match-set ${HOSTS_SET} src -j RETURN`,
      `-m set --match-set ${a} src -m set --match-set ${a} dst -j RETURN`,
      `-m set --match-set ${b} src -m set --match-set ${b} dst -j RETURN`,
      '-s 10.42.0.0/16 -d 10.42.0.0/16 -j DROP',
    ]);
  });

  it('replaces set members by swapping a filled scratch set in', () => {
    const name = tenantSetName('a');
    expect(ipsetRestoreInput(new Map([[name, ['10.42.1.2', '10.42.2.2']]])).split('\n')).toEqual([
      `create ${name} hash:ip family inet -exist`,
      'create oja-swap hash:ip family inet -exist',
      'flush oja-swap',
      'add oja-swap 10.42.1.2',
      'add oja-swap 10.42.2.2',
      `swap oja-swap ${name}`,
      'destroy oja-swap',
      '',
    ]);
  });

  it('finds only its own tenant sets that are no longer wanted', () => {
    const wanted = addressSets([{ tenant: 'a', ips: [] }], []);
    const gone = tenantSetName('gone');
    expect(staleSets([tenantSetName('a'), gone, HOSTS_SET, 'someone-elses'], wanted)).toEqual([gone]);
  });
});

describe('TenantIsolation', () => {
  it('creates sets before the chain names them, and destroys stale ones after', async () => {
    const stale = tenantSetName('left');
    const runner = new RecordingRunner().when('ipset list -n', `${HOSTS_SET}\n${tenantSetName('a')}\n${stale}\n`);
    await new TenantIsolation(runner, new Iptables(runner)).apply([{ tenant: 'a', ips: ['10.42.1.2'] }], ['10.42.1.1'], POOL);
    expect(runner.lines()).toEqual(['ipset restore', 'iptables-restore --noflush --wait', 'ipset list -n', `ipset destroy ${stale}`]);
    expect(runner.calls[1].input).toContain(`--match-set ${tenantSetName('a')} dst`);
  });
});
