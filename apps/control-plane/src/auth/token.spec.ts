import { bearerToken, describeToken, generateToken, hashToken, plausibleToken } from './token';

describe('tokens', () => {
  it('are oja_ + 43 base64url characters (32 random bytes), unique', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a.token).toMatch(/^oja_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token.slice(4), 'base64url')).toHaveLength(32);
  });

  it('are stored as a sha256 hex hash and a 12-character prefix only', () => {
    const t = generateToken();
    expect(t.hash).toBe(hashToken(t.token));
    expect(t.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(t.prefix).toBe(t.token.slice(0, 12));
    expect(describeToken(t.token)).toEqual(t);
  });

  it('hash is sha256', () => expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'));

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer  abc ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('bearerToken(%p) → %p', (header, expected) => expect(bearerToken(header)).toBe(expected));

  it('rejects implausible tokens without a lookup', () => {
    expect(plausibleToken(generateToken().token)).toBe(true);
    expect(plausibleToken('operator-chosen-admin-secret')).toBe(true);
    expect(plausibleToken('short')).toBe(false);
    expect(plausibleToken('x'.repeat(600))).toBe(false);
  });
});
