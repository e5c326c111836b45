import { DataSource } from 'typeorm';
import { CREDENTIAL_RESOLVER, type CredentialResolver } from '../../../apps/control-plane/src/gateway/credential-resolver';
import { RegistryCredentialsService } from '../../../apps/control-plane/src/registry/registry-credentials.service';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';

// Registry credentials on real Postgres: tenant-scoped, password write-only and encrypted at rest.
describe('registry credentials API', () => {
  let cp: TestControlPlane;
  let a: { id: string; name: string; token: string };
  let b: { id: string; name: string; token: string };
  const password = `pw-${Math.random().toString(36).slice(2)}-never-shown`;
  const credential = { name: 'acme', server: '10.0.0.1:5000', username: 'deploy', password };

  beforeAll(async () => {
    cp = await startControlPlane();
    a = await cp.tenant();
    b = await cp.tenant();
  });
  afterAll(() => cp?.close());

  it('stores a credential and never returns, lists or records its password', async () => {
    const created = await cp.request('POST', '/v1/registry-credentials', { token: a.token, body: credential });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'acme', server: '10.0.0.1:5000', username: 'deploy', createdAt: expect.any(String) });

    const list = await cp.request('GET', '/v1/registry-credentials', { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([created.body]);

    const events = await cp.request('GET', '/v1/events', { token: a.token });
    expect(events.body.items.map((e: { type: string }) => e.type)).toContain('registry.added');
    for (const text of [created.text, list.text, events.text]) expect(text).not.toContain(password);
  });

  it('encrypts the password at rest and decrypts it only for its own tenant', async () => {
    const ds = cp.app.get(DataSource);
    const [row] = await ds.query(`SELECT secret FROM registry_credentials WHERE tenant_id = $1 AND name = 'acme'`, [a.id]);
    expect(Buffer.isBuffer(row.secret)).toBe(true);
    expect(row.secret.includes(Buffer.from(password))).toBe(false);
    expect(row.secret[0]).toBe(1); // SecretBox format version

    const service = cp.app.get(RegistryCredentialsService);
    expect(await service.resolve(a.id, 'acme')).toEqual({ server: '10.0.0.1:5000', username: 'deploy', password });
    expect(await service.resolve(b.id, 'acme')).toBeNull();
    expect(await service.resolve(a.id, 'missing')).toBeNull();

    // What the gateway injects to put the credential into a desired state.
    const resolver = cp.app.get<CredentialResolver>(CREDENTIAL_RESOLVER);
    expect(await resolver.resolve(a.id, 'acme')).toEqual({ server: '10.0.0.1:5000', username: 'deploy', password });
  });

  it('does not open a secret copied into another row (the ciphertext is bound to tenant and name)', async () => {
    const ds = cp.app.get(DataSource);
    await cp.request('POST', '/v1/registry-credentials', { token: a.token, body: { ...credential, name: 'decoy', password: 'other' } });
    await ds.query(
      `UPDATE registry_credentials SET secret = (SELECT secret FROM registry_credentials WHERE tenant_id = $1 AND name = 'acme')
        WHERE tenant_id = $1 AND name = 'decoy'`,
      [a.id],
    );
    await expect(cp.app.get(RegistryCredentialsService).resolve(a.id, 'decoy')).rejects.toThrow(/cannot be decrypted/);
    expect((await cp.request('DELETE', '/v1/registry-credentials/decoy', { token: a.token })).status).toBe(204);
  });

  it('refuses a duplicate name with 409 naming the field, but another tenant may use it', async () => {
    const dup = await cp.request('POST', '/v1/registry-credentials', { token: a.token, body: credential });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(dup.body.errors).toEqual([{ path: 'name', message: 'already exists' }]);
    expect(dup.text).not.toContain(password);

    const other = await cp.request('POST', '/v1/registry-credentials', { token: b.token, body: { ...credential, username: 'other' } });
    expect(other.status).toBe(201);
  });

  it("hides another tenant's credential: not listed, and deleting it is a 404", async () => {
    await cp.request('POST', '/v1/registry-credentials', { token: a.token, body: { ...credential, name: 'only-a' } });
    const listB = await cp.request('GET', '/v1/registry-credentials', { token: b.token });
    expect(listB.body.items.map((c: { name: string }) => c.name)).toEqual(['acme']);
    const del = await cp.request('DELETE', '/v1/registry-credentials/only-a', { token: b.token });
    expect(del.status).toBe(404);
    expect(del.body.detail).toBe('registry credential "only-a" not found');
    expect((await cp.request('GET', '/v1/registry-credentials', { token: a.token })).body.items).toHaveLength(2);
  });

  it('deletes a credential (204), then answers 404', async () => {
    expect((await cp.request('DELETE', '/v1/registry-credentials/only-a', { token: a.token })).status).toBe(204);
    expect((await cp.request('DELETE', '/v1/registry-credentials/only-a', { token: a.token })).status).toBe(404);
    const names = (await cp.request('GET', '/v1/registry-credentials', { token: a.token })).body.items.map((c: { name: string }) => c.name);
    expect(names).toEqual(['acme']);
  });

  it.each([
    [{ ...credential, name: 'x1', password: undefined }, 'password'],
    [{ ...credential, name: 'x2', password: '' }, 'password'],
    [{ ...credential, name: 'Bad_Name' }, 'name'],
    [{ ...credential, name: 'x3', server: 'http://reg/' }, 'server'],
    [{ ...credential, name: 'x4', username: 42 }, 'username'],
    [{ ...credential, name: 'x5', token: 'extra' }, 'token'],
  ])('answers bad input with a 400 problem naming the field (%#)', async (body, field) => {
    const res = await cp.request('POST', '/v1/registry-credentials', { token: a.token, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(field);
    expect(res.text).not.toContain(password);
  });

  it('validates the name in the path and needs a tenant token', async () => {
    const bad = await cp.request('DELETE', '/v1/registry-credentials/NOT_A_LABEL', { token: a.token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('name');
    expect((await cp.request('GET', '/v1/registry-credentials', { token: cp.adminToken })).status).toBe(403);
    expect((await cp.request('GET', '/v1/registry-credentials')).status).toBe(401);
  });
});
