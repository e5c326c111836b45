import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips any bytes under the same context', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (bytes, context) => {
        expect(box.open(box.seal(Buffer.from(bytes), context), context)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('uses a fresh nonce: the same secret seals differently each time and never appears in clear', () => {
    const a = box.seal('hunter2-password');
    const b = box.seal('hunter2-password');
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.includes(Buffer.from('hunter2'))).toBe(false);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + 16 + 'hunter2-password'.length);
  });

  it('refuses another key, another context, tampering and unknown versions', () => {
    const sealed = box.seal('secret', 'registry:t1:acme');
    expect(box.openString(sealed, 'registry:t1:acme')).toBe('secret');
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'registry:t1:acme')).toThrow(SecretBoxError);
    expect(() => box.open(sealed, 'registry:t2:acme')).toThrow(SecretBoxError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => box.open(flipped, 'registry:t1:acme')).toThrow(SecretBoxError);
    const v2 = Buffer.from(sealed);
    v2[0] = 2;
    expect(() => box.open(v2, 'registry:t1:acme')).toThrow(/unknown secret format/);
    expect(() => box.open(Buffer.alloc(5))).toThrow(/unknown secret format/);
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
