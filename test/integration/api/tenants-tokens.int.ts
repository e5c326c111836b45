import { DataSource as DataSourceToken } from 'typeorm';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { uniqueName } from '../../support/specs';

describe('tenants and tokens', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.close());

  it('creates a tenant with default quota and shows its first token once', async () => {
    const name = uniqueName('acme');
    const res = await cp.request('POST', '/v1/tenants', { token: cp.adminToken, body: { name } });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toMatchObject({ name, dedicated: false, quota: { instances: 100, cpu: 16, memoryMb: 32768 } });
    expect(res.body.token).toMatch(/^oja_[A-Za-z0-9_-]{43}$/);
    const list = await cp.request('GET', '/v1/tenants', { token: cp.adminToken });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((t: { name: string }) => t.name === name);
    expect(listed).toEqual(res.body.tenant);
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
  });

  it('merges a partial quota with the defaults', async () => {
    const res = await cp.request('POST', '/v1/tenants', { token: cp.adminToken, body: { name: uniqueName(), dedicated: true, quota: { instances: 5 } } });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toMatchObject({ dedicated: true, quota: { instances: 5, cpu: 16, memoryMb: 32768 } });
  });

  it('answers 409 for a duplicate tenant name', async () => {
    const t = await cp.tenant();
    const res = await cp.request('POST', '/v1/tenants', { token: cp.adminToken, body: { name: t.name } });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toContain(t.name);
  });

  it('keeps tenant administration to the admin token and tenant resources to tenant tokens', async () => {
    const t = await cp.tenant();
    const asTenant = await cp.request('GET', '/v1/tenants', { token: t.token });
    expect(asTenant.status).toBe(403);
    const adminOnTenantRoute = await cp.request('GET', '/v1/deployments', { token: cp.adminToken });
    expect(adminOnTenantRoute.status).toBe(403);
    expect(adminOnTenantRoute.body.detail).toMatch(/tenant token/);
    const adminMint = await cp.request('POST', '/v1/tokens', { token: cp.adminToken, body: {} });
    expect(adminMint.status).toBe(403);
  });

  it('answers 401 for a missing, malformed or unknown token', async () => {
    for (const authorization of [undefined, 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer short', `Bearer oja_${'A'.repeat(43)}`]) {
      const res = await cp.request('GET', '/v1/deployments', { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('mints tokens that work, and revoked ones get 401', async () => {
    const t = await cp.tenant();
    const minted = await cp.request('POST', '/v1/tokens', { token: t.token, body: { name: 'ci' } });
    expect(minted.status).toBe(201);
    expect(minted.body).toEqual({ id: expect.any(String), token: expect.stringMatching(/^oja_/) });
    expect((await cp.request('GET', '/v1/deployments', { token: minted.body.token })).status).toBe(200);
    // last_used_at is recorded (asynchronously, at most once a minute).
    const ds = cp.app.get(DataSourceToken);
    let used: { last_used_at: Date | null }[] = [];
    for (let i = 0; i < 50 && !used[0]?.last_used_at; i++) {
      used = await ds.query(`SELECT last_used_at FROM api_tokens WHERE id = $1`, [minted.body.id]);
      if (!used[0]?.last_used_at) await new Promise((r) => setTimeout(r, 100));
    }
    expect(used[0].last_used_at).not.toBeNull();
    const stored = await ds.query(`SELECT hash, prefix FROM api_tokens WHERE id = $1`, [minted.body.id]);
    expect(stored[0].prefix).toBe(minted.body.token.slice(0, 12));
    expect(JSON.stringify(stored)).not.toContain(minted.body.token);

    const revoke = await cp.request('DELETE', `/v1/tokens/${minted.body.id}`, { token: t.token });
    expect(revoke.status).toBe(204);
    const after = await cp.request('GET', '/v1/deployments', { token: minted.body.token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
    // The tenant's first token is unaffected.
    expect((await cp.request('GET', '/v1/deployments', { token: t.token })).status).toBe(200);
    // Revoking twice: it is gone.
    expect((await cp.request('DELETE', `/v1/tokens/${minted.body.id}`, { token: t.token })).status).toBe(404);
  });

  it('mints expiring tokens that stop working after expiry', async () => {
    const t = await cp.tenant();
    const minted = await cp.request('POST', '/v1/tokens', { token: t.token, body: { expiresInSeconds: 60 } });
    expect(minted.status).toBe(201);
    expect(Date.parse(minted.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await cp.request('GET', '/v1/deployments', { token: minted.body.token })).status).toBe(200);
    await cp.app.get(DataSourceToken).query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [minted.body.id]);
    // A replica may reuse a token lookup for a moment: poll (bounded) rather than expect the very next request.
    let expired = await cp.request('GET', '/v1/deployments', { token: minted.body.token });
    for (let i = 0; i < 50 && expired.status !== 401; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expired = await cp.request('GET', '/v1/deployments', { token: minted.body.token });
    }
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/expired/);
  });

  it("answers 404 for another tenant's token and for a malformed id", async () => {
    const a = await cp.tenant();
    const b = await cp.tenant();
    const minted = await cp.request('POST', '/v1/tokens', { token: a.token, body: {} });
    const res = await cp.request('DELETE', `/v1/tokens/${minted.body.id}`, { token: b.token });
    expect(res.status).toBe(404);
    expect((await cp.request('GET', '/v1/deployments', { token: minted.body.token })).status).toBe(200);
    expect((await cp.request('DELETE', '/v1/tokens/not-a-uuid', { token: b.token })).status).toBe(404);
  });
});

