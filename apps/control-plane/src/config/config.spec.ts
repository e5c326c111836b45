import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, loadConfig, parseEnvFile, parseHostPort } from './config';

const key = 'ab'.repeat(32);

describe('parseHostPort', () => {
  it.each([
    ['0.0.0.0:7400', { host: '0.0.0.0', port: 7400 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::]:7401', { host: '::', port: 7401 }],
    ['7400', undefined],
    ['host:99999', undefined],
    ['host:', undefined],
  ])('%p', (value, expected) => expect(parseHostPort(value)).toEqual(expected));
});

describe('parseEnvFile', () => {
  it('reads KEY=value lines with quotes, export and comments', () => {
    expect(parseEnvFile(`# c\nexport A=1\nB="two words"\nC='x=y'\n\nnot a line\n`)).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });
});

describe('configFromEnv', () => {
  it('applies the documented defaults', () => {
    const c = configFromEnv({ OJA_SECRET_KEY: key });
    expect(c).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/oja',
      redisUrl: 'redis://127.0.0.1:6379',
      httpAddr: { host: '0.0.0.0', port: 7400 },
      grpcAddr: { host: '0.0.0.0', port: 7401 },
      nodeGraceSeconds: 10,
      maxReplicas: 1000,
      queuePrefix: 'oja',
      overlayCidr: '10.42.0.0/16',
      eventRetentionDays: 7,
      nodeCertificateDays: 365,
    });
    expect(c.adminToken).toBeUndefined();
    expect(c.secretKey).toEqual(Buffer.from(key, 'hex'));
  });

  it.each([
    ['OJA_HTTP_ADDR', 'nope'],
    ['OJA_NODE_GRACE_SECONDS', 'ten'],
    ['OJA_NODE_GRACE_SECONDS', '2'],
    ['OJA_MAX_REPLICAS', '0'],
    ['OJA_SECRET_KEY', 'abc'],
    ['OJA_OVERLAY_CIDR', '10.42.0.0/28'],
    ['OJA_REDIS_URL', 'http://x'],
    ['OJA_ADMIN_TOKEN', 'short'],
    ['OJA_NODE_CERT_DAYS', 'a year'],
    ['OJA_NODE_CERT_DAYS', '0'],
    ['OJA_NODE_CERT_DAYS', '4000'],
  ])('names %s when it is invalid', (name, value) => {
    expect(() => configFromEnv({ OJA_SECRET_KEY: key, [name]: value })).toThrow(name);
  });

  it('takes a node certificate lifetime in days, fractions of a day too', () => {
    expect(configFromEnv({ OJA_SECRET_KEY: key, OJA_NODE_CERT_DAYS: '30' }).nodeCertificateDays).toBe(30);
    expect(configFromEnv({ OJA_SECRET_KEY: key, OJA_NODE_CERT_DAYS: '0.001' }).nodeCertificateDays).toBe(0.001);
  });

  it('requires a secret key, from the env or a file', () => {
    expect(() => configFromEnv({})).toThrow(/OJA_SECRET_KEY/);
    const dir = mkdtempSync(join(tmpdir(), 'oja-config-'));
    writeFileSync(join(dir, 'key'), `${key}\n`);
    expect(configFromEnv({ OJA_SECRET_KEY_FILE: join(dir, 'key') }).secretKey).toHaveLength(32);
    writeFileSync(join(dir, 'bad'), 'zz');
    expect(() => configFromEnv({ OJA_SECRET_KEY_FILE: join(dir, 'bad') })).toThrow(/OJA_SECRET_KEY_FILE/);
  });
});

describe('loadConfig', () => {
  it('reads missing values from the env file; the process env wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oja-config-'));
    const file = join(dir, 'oja.env');
    writeFileSync(file, `OJA_SECRET_KEY=${key}\nOJA_QUEUE_PREFIX=fromfile\nOJA_MAX_REPLICAS=50\n`);
    const c = loadConfig({ OJA_ENV_FILE: file, OJA_MAX_REPLICAS: '70' });
    expect(c).toMatchObject({ queuePrefix: 'fromfile', maxReplicas: 70 });
  });

  it('works without an env file', () => {
    expect(loadConfig({ OJA_ENV_FILE: '/nonexistent/oja.env', OJA_SECRET_KEY: key }).queuePrefix).toBe('oja');
  });
});
