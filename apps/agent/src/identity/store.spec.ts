import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDir } from './store';

describe('DataDir', () => {
  let root: string;
  let dir: DataDir;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'oja-agent-datadir-'));
    dir = new DataDir(join(root, 'agent'));
    await dir.ensure();
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is private: the directory 0700, every file 0600, no temporary files left', async () => {
    await dir.saveCredentials({ keyPem: 'KEY', certificatePem: 'CERT', caPem: 'CA' });
    await dir.saveIdentity({ nodeId: 'n-1', nodeName: 'node-1', controlPlane: '10.0.0.1:7401' });
    await dir.saveSettings({ labels: { zone: 'a' } });
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir.path).sort();
    expect(files).toEqual(['ca.crt', 'identity.json', 'node.crt', 'node.key', 'settings.json']);
    for (const f of files) expect([f, statSync(join(dir.path, f)).mode & 0o777]).toEqual([f, 0o600]);
  });

  it('replaces only node.crt with a renewed certificate, 0600, even over a temporary a crash left with looser bits', async () => {
    await dir.saveCredentials({ keyPem: 'KEY', certificatePem: 'OLD', caPem: 'CA' });
    writeFileSync(join(dir.path, `node.crt.tmp-${process.pid}`), 'half a certificate', { mode: 0o644 });
    await dir.saveCertificate('NEW');
    expect(await dir.loadCredentials()).toEqual({ keyPem: 'KEY', certificatePem: 'NEW', caPem: 'CA' });
    expect(readdirSync(dir.path).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    expect(statSync(join(dir.path, 'node.crt')).mode & 0o777).toBe(0o600);
  });

  it('tightens a directory that already existed with looser permissions', async () => {
    const loose = new DataDir(join(root, 'loose'));
    await loose.ensure();
    chmodSync(loose.path, 0o755);
    await loose.ensure();
    expect(statSync(loose.path).mode & 0o777).toBe(0o700);
  });

  it('reads back what it saved', async () => {
    const identity = { nodeId: 'n-1', nodeName: 'node-1', controlPlane: '10.0.0.1:7401' };
    await dir.saveIdentity(identity);
    await dir.saveSettings({ capacityCpu: 2 });
    await dir.saveCredentials({ keyPem: 'KEY', certificatePem: 'CERT', caPem: 'CA' });
    expect(await dir.loadIdentity()).toEqual(identity);
    expect(await dir.loadSettings()).toEqual({ capacityCpu: 2 });
    expect(await dir.loadCredentials()).toEqual({ keyPem: 'KEY', certificatePem: 'CERT', caPem: 'CA' });
  });

  it('has no identity and empty settings before the first join', async () => {
    expect(await dir.loadIdentity()).toBeUndefined();
    expect(await dir.loadSettings()).toEqual({});
  });

  it('says which file is damaged', async () => {
    writeFileSync(join(dir.path, 'identity.json'), '{not json');
    await expect(dir.loadIdentity()).rejects.toThrow(`${join(dir.path, 'identity.json')} is not valid JSON`);
    await dir.saveIdentity({ nodeId: 'n-1', nodeName: 'node-1', controlPlane: 'a:1' });
    await expect(dir.loadCredentials()).rejects.toThrow(/node\.key is unreadable .*join again with a fresh one/);
  });
});
