import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, DEFAULT_SERVER, loadConfig, normalizeServer, resolveConnection, saveConfig } from './config';
import { CliError } from './errors';

describe('resolveConnection', () => {
  const stored = { server: 'http://stored:7400', token: 'stored-token' };
  const env = { OJA_SERVER: 'http://env:7400', OJA_TOKEN: 'env-token' };

  it('prefers flags over the environment over the config file', () => {
    expect(resolveConnection({ server: 'http://flag:7400', token: 'flag-token' }, env, stored)).toEqual({
      server: 'http://flag:7400',
      token: 'flag-token',
    });
    expect(resolveConnection({}, env, stored)).toEqual({ server: 'http://env:7400', token: 'env-token' });
    expect(resolveConnection({}, {}, stored)).toEqual({ server: 'http://stored:7400', token: 'stored-token' });
  });

  it('resolves server and token independently', () => {
    expect(resolveConnection({ token: 'flag-token' }, { OJA_SERVER: 'http://env:1' }, stored)).toEqual({ server: 'http://env:1', token: 'flag-token' });
  });

  it('falls back to the default server and no token', () => {
    expect(resolveConnection({}, {}, {})).toEqual({ server: DEFAULT_SERVER, token: undefined });
  });
});

describe('normalizeServer', () => {
  it.each([
    ['http://10.0.0.1:7400/', 'http://10.0.0.1:7400'],
    ['10.0.0.1:7400', 'http://10.0.0.1:7400'],
    ['https://cp.example.com', 'https://cp.example.com'],
  ])('%s → %s', (input, expected) => expect(normalizeServer(input)).toBe(expected));

  it('rejects other schemes and garbage', () => {
    expect(() => normalizeServer('ftp://x')).toThrow(CliError);
    expect(() => normalizeServer('http://')).toThrow(/invalid server address/);
  });
});

describe('config file', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'oja-cli-config-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is found through OJA_CONFIG, else under HOME', () => {
    expect(configPath({ OJA_CONFIG: '/x/c.json', HOME: '/home/u' })).toBe('/x/c.json');
    expect(configPath({ HOME: '/home/u' })).toBe('/home/u/.config/oja/config.json');
  });

  it('round-trips and is written with mode 0600 in a created directory', async () => {
    const path = join(dir, 'nested', 'config.json');
    await saveConfig(path, { server: 'http://s:1', token: 't' });
    expect(await loadConfig(path)).toEqual({ server: 'http://s:1', token: 't' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ server: 'http://s:1', token: 't' });
  });

  it('treats a missing file as empty and a corrupt one as an error', async () => {
    expect(await loadConfig(join(dir, 'absent.json'))).toEqual({});
    const path = join(dir, 'bad.json');
    await writeFile(path, '{not json');
    await expect(loadConfig(path)).rejects.toThrow(/is not valid JSON/);
  });
});
