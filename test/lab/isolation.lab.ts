import { httpdSpec, OverlayCluster, type InstanceRow, type Tenant } from './overlay-cluster';
import { waitFor } from './processes';

// Three lab hosts, each running one container of tenant acme and one of tenant globex (spread). Over the overlay a
// container reaches its own tenant's containers, on the other hosts and on its own, and never another tenant's.
describe('tenant isolation on the overlay', () => {
  let cluster: OverlayCluster;
  let acme: Tenant;
  let globex: Tenant;
  let a: InstanceRow[];
  let g: InstanceRow[];
  const url = (i: InstanceRow) => `http://${i.overlayIp}:8080/`;
  const on = (rows: InstanceRow[], host: number) => rows.find((i) => cluster.hostOf(i) === host) as InstanceRow;

  beforeAll(async () => {
    cluster = await OverlayCluster.start(3);
    acme = await cluster.tenant('acme');
    globex = await cluster.tenant('globex');
    await cluster.deploy(acme, httpdSpec('web', 3, 'acme-web'));
    await cluster.deploy(globex, httpdSpec('db', 3, 'globex-db'));
    a = await cluster.waitRunning(acme, 'web', 3);
    g = await cluster.waitRunning(globex, 'db', 3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('puts one container of each tenant on each host', () => {
    expect(new Set(a.map((i) => cluster.hostOf(i)))).toEqual(new Set([1, 2, 3]));
    expect(new Set(g.map((i) => cluster.hostOf(i)))).toEqual(new Set([1, 2, 3]));
  });

  it("lets a tenant's containers reach each other across hosts", async () => {
    await waitFor('acme 1 → acme 2', () => cluster.reaches(on(a, 1), url(on(a, 2))), 30_000);
    await waitFor('acme 2 → acme 1', () => cluster.reaches(on(a, 2), url(on(a, 1))), 30_000);
    await waitFor('acme 3 → acme 1', () => cluster.reaches(on(a, 3), url(on(a, 1))), 30_000);
    await waitFor('globex 1 → globex 2', () => cluster.reaches(on(g, 1), url(on(g, 2))), 30_000);
    await waitFor('globex 3 → globex 2', () => cluster.reaches(on(g, 3), url(on(g, 2))), 30_000);
    expect((await cluster.httpFrom(on(a, 1), url(on(a, 2)))).trim()).toBe('acme-web');
    expect((await cluster.httpFrom(on(g, 2), url(on(g, 1)))).trim()).toBe('globex-db');
  });

  it("refuses another tenant's containers, on the same host and across hosts, in both directions", async () => {
    // the sets have converged (previous test): these failures are the isolation rules, not a missing route
    expect(await cluster.reaches(on(g, 1), url(on(a, 1)))).toBe(false); // same host (bridge traffic)
    expect(await cluster.reaches(on(g, 1), url(on(a, 2)))).toBe(false); // across hosts
    expect(await cluster.reaches(on(a, 2), url(on(g, 2)))).toBe(false);
    expect(await cluster.reaches(on(a, 1), url(on(g, 2)))).toBe(false);
    expect(await cluster.reaches(on(g, 3), url(on(a, 3)))).toBe(false);
    expect(await cluster.reaches(on(a, 3), url(on(g, 1)))).toBe(false);
    // and the refused container still has its own network: it reaches the control plane on the underlay
    expect(await cluster.reaches(on(g, 1), `${cluster.controlPlane.httpUrl}/healthz`)).toBe(true);
  });

  it("shuts a removed tenant's address out: a deleted deployment's IPs leave the sets", async () => {
    const deleted = await cluster.api('DELETE', '/v1/deployments/db', undefined, globex.token);
    expect([200, 202, 204]).toContain(deleted.status);
    const set = (host: number) => cluster.lab.exec(host, 'ipset', ['list', '-o', 'save']).then((r) => r.stdout);
    for (const host of [1, 2, 3]) {
      await waitFor(`globex addresses gone on host ${host}`, async () => {
        const sets = await set(host);
        return g.every((i) => !sets.includes(` ${i.overlayIp}\n`)) && sets.includes(` ${on(a, 1).overlayIp}\n`);
      }, 60_000);
    }
    expect((await cluster.httpFrom(on(a, 2), url(on(a, 1)))).trim()).toBe('acme-web');
  });
});
