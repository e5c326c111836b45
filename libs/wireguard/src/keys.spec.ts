import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, isWireGuardKey, loadOrCreatePrivateKey, publicKeyOf } from './keys';

describe('keys', () => {
  it('derives public keys like Curve25519 (RFC 7748 section 6.1 test vector)', () => {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    expect(Buffer.from(publicKeyOf(alice), 'base64').toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
  });

  it('matches a pair made by wg genkey | wg pubkey', () => {
    expect(publicKeyOf('kD8Oh9oFLPPvTP/r1D/66sPvZV8i+eYd7b38QXq7TVY=')).toBe('7GxtpVd6IM3zCyD2iIixU4UIVeRw5g/qy0/i0PQjC3Q=');
  });

  it('generates distinct, clamped, wg-formatted pairs', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.privateKey).not.toBe(b.privateKey);
    for (const key of [a.privateKey, a.publicKey]) expect(isWireGuardKey(key)).toBe(true);
    const raw = Buffer.from(a.privateKey, 'base64');
    expect(raw[0] & 7).toBe(0);
    expect(raw[31] & 0xc0).toBe(0x40);
    expect(publicKeyOf(a.privateKey)).toBe(a.publicKey);
  });

  it('rejects text that is not a 32-byte base64 key', () => {
    expect(isWireGuardKey('abc')).toBe(false);
    expect(isWireGuardKey(Buffer.alloc(31).toString('base64'))).toBe(false);
    expect(() => publicKeyOf('not a key')).toThrow();
  });

  describe('loadOrCreatePrivateKey', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'oja-wg-keys-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('creates the key 0600 in a new directory and reuses it afterwards', async () => {
      const path = join(dir, 'data', 'wireguard.key');
      const first = await loadOrCreatePrivateKey(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await readFile(path, 'utf8')).trim()).toBe(first.privateKey);
      expect(await loadOrCreatePrivateKey(path)).toEqual(first);
    });

    it('tightens a readable key file to 0600', async () => {
      const path = join(dir, 'k');
      await writeFile(path, 'kD8Oh9oFLPPvTP/r1D/66sPvZV8i+eYd7b38QXq7TVY=\n');
      await chmod(path, 0o644);
      expect((await loadOrCreatePrivateKey(path)).publicKey).toBe('7GxtpVd6IM3zCyD2iIixU4UIVeRw5g/qy0/i0PQjC3Q=');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });

    it('refuses to overwrite a corrupt key file', async () => {
      const path = join(dir, 'k');
      await writeFile(path, 'garbage');
      await expect(loadOrCreatePrivateKey(path)).rejects.toThrow(/does not hold a WireGuard private key/);
      expect(await readFile(path, 'utf8')).toBe('garbage');
    });
  });
});
