import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Format version 1: [0x01][12-byte nonce][16-byte GCM tag][ciphertext]. */
const VERSION_1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES + TAG_BYTES;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Encrypts secrets at rest with AES-256-GCM under OJA_SECRET_KEY. Each seal uses a fresh random
 * nonce. `context` is bound as associated data (e.g. "registry:<tenant>:<name>"), so a ciphertext
 * copied into another row fails to open instead of revealing its secret there.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError(`secret key must be 32 bytes, got ${key.length}`);
  }

  seal(plaintext: Buffer | string, context = ''): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION_1), nonce, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws SecretBoxError when the data was tampered with, sealed under another key or context, or is not ours. */
  open(sealed: Buffer, context = ''): Buffer {
    if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION_1) {
      throw new SecretBoxError(`unknown secret format (version byte ${sealed.length ? sealed[0] : 'missing'})`);
    }
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const tag = sealed.subarray(1 + NONCE_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw new SecretBoxError('secret cannot be decrypted: wrong key or context, or corrupted data');
    }
  }

  openString(sealed: Buffer, context = ''): string {
    return this.open(sealed, context).toString('utf8');
  }
}
