import { createTenantRequest, registryCredentialRequest, scaleRequest, eventsQuery, logsQuery } from './dto';
import { fieldErrors } from './errors';

describe('request schemas', () => {
  it('defaults a tenant to shared', () => {
    expect(createTenantRequest.parse({ name: 'acme' })).toEqual({ name: 'acme', dedicated: false });
  });

  it('rejects unknown tenant fields and bad quotas, naming them', () => {
    const result = createTenantRequest.safeParse({ name: 'acme', quota: { instances: -1 }, colour: 'red' });
    expect(result.success).toBe(false);
    const paths = fieldErrors(result.error!).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['quota.instances', 'colour']));
  });

  it('bounds scale requests by the configured ceiling', () => {
    expect(scaleRequest(10).safeParse({ replicas: 10 }).success).toBe(true);
    expect(scaleRequest(10).safeParse({ replicas: 11 }).success).toBe(false);
    expect(scaleRequest(10).safeParse({ replicas: '2' }).success).toBe(false);
  });

  it('checks registry servers', () => {
    const ok = { name: 'lab', server: '192.168.77.1:5000', username: 'u', password: 'p' };
    expect(registryCredentialRequest.safeParse(ok).success).toBe(true);
    expect(registryCredentialRequest.safeParse({ ...ok, server: 'https://x' }).success).toBe(false);
  });

  it('coerces query strings', () => {
    expect(eventsQuery.parse({ limit: '20' })).toMatchObject({ limit: 20 });
    expect(eventsQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(eventsQuery.parse({ after: '41', before: '9223372036854775807' })).toMatchObject({ after: '41', before: '9223372036854775807' });
    for (const bad of ['-1', '4x', '', '9223372036854775808', '1'.repeat(20)]) {
      expect(eventsQuery.safeParse({ after: bad }).success).toBe(false);
      expect(eventsQuery.safeParse({ before: bad }).success).toBe(false);
    }
    for (const type of ['instance.started', 'node.certificate-renewed']) expect(eventsQuery.parse({ type })).toMatchObject({ type });
    for (const bad of ['Node.up', 'node.', 'node..up', 'node.-up', 'node.up-']) expect(eventsQuery.safeParse({ type: bad }).success).toBe(false);
    expect(logsQuery.parse({ follow: 'true', tail: '10' })).toMatchObject({ follow: true, tail: 10 });
    expect(logsQuery.parse({})).toMatchObject({ follow: false });
    expect(logsQuery.safeParse({ since: 'yesterday' }).success).toBe(false);
  });
});
