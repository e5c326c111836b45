import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** WireGuard keys as `wg` prints them: 32 bytes, standard base64 (44 characters). */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

const KEY_BYTES = 32;
/** DER header of a PKCS#8 X25519 private key; the raw 32-byte scalar follows (RFC 8410). */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function isWireGuardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text) && Buffer.from(text, 'base64').length === KEY_BYTES;
}

/** Curve25519 public key of a base64 private key (what `wg pubkey` prints). */
export function publicKeyOf(privateKey: string): string {
  if (!isWireGuardKey(privateKey)) throw new Error('not a WireGuard private key (32 bytes, base64)');
  const pkcs8 = Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateKey, 'base64')]);
  const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return spki.subarray(-KEY_BYTES).toString('base64');
}

/** Like `wg genkey | tee priv | wg pubkey`: random scalar clamped as Curve25519 requires. */
export function generateKeyPair(): KeyPair {
  const secret = randomBytes(KEY_BYTES);
  secret[0] &= 248;
  secret[31] = (secret[31] & 127) | 64;
  const privateKey = secret.toString('base64');
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/**
 * Reads the private key at `path`, or creates one there (mode 0600, parent 0700) when the file does
 * not exist, so a restarted agent keeps its identity. A file that exists but holds no valid key is
 * an error, never silently replaced: peers know the old public key.
 */
export async function loadOrCreatePrivateKey(path: string): Promise<KeyPair> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateKeyPair();
  try {
    await writeFile(path, pair.privateKey + '\n', { mode: 0o600, flag: 'wx' });
    return pair;
  } catch (error) {
    // another process created it between our read and write: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readKeyFile(path)) as KeyPair;
    throw error;
  }
}

async function readKeyFile(path: string): Promise<KeyPair | undefined> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!isWireGuardKey(text)) throw new Error(`${path} does not hold a WireGuard private key`);
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return { privateKey: text, publicKey: publicKeyOf(text) };
}
