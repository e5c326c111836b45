import { formatJoinToken, hashJoinSecret, newJoinSecret, parseJoinToken } from './join-token-format';

describe('join token format', () => {
  const ca = 'ab'.repeat(32);

  it('round-trips, also when the base64url secret contains dashes', () => {
    for (const secret of [newJoinSecret(), '-a-b-', 'x']) {
      expect(parseJoinToken(formatJoinToken(ca, secret))).toEqual({ caFingerprint: ca, secret });
    }
  });

  it('makes secrets of 32 random bytes', () => {
    const secret = newJoinSecret();
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newJoinSecret()).not.toBe(secret);
  });

  it.each(['', 'OJA1-', `OJA2-${'ab'.repeat(32)}-s`, `OJA1-${'ab'.repeat(31)}-s`, `OJA1-${'AB'.repeat(32)}-s`, `OJA1-${'ab'.repeat(32)}-`, `OJA1-${'ab'.repeat(32)}s`])(
    'rejects %p',
    (token) => expect(parseJoinToken(token)).toBeNull(),
  );

  it('hashes with sha256 hex', () => {
    expect(hashJoinSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
