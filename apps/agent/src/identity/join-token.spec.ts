import { InvalidJoinTokenError, parseJoinToken } from './join-token';

describe('parseJoinToken', () => {
  const hash = '0123456789abcdef'.repeat(4);

  it('splits the CA hash from the secret', () => {
    expect(parseJoinToken(`OJA1-${hash}-Zm9vYmFyYmF6cXV4LXNlY3JldA_-`)).toEqual({ caSha256: hash, secret: 'Zm9vYmFyYmF6cXV4LXNlY3JldA_-' });
  });

  it('normalises the hash to lowercase and trims whitespace', () => {
    expect(parseJoinToken(` OJA1-${hash.toUpperCase()}-abcdefghijklmnop\n`).caSha256).toBe(hash);
  });

  it.each([
    ['empty', ''],
    ['another version', `OJA2-${hash}-abcdefghijklmnop`],
    ['a short hash', `OJA1-${hash.slice(1)}-abcdefghijklmnop`],
    ['a non-hex hash', `OJA1-${'g'.repeat(64)}-abcdefghijklmnop`],
    ['a short secret', `OJA1-${hash}-abc`],
    ['no secret', `OJA1-${hash}`],
    ['a secret with bad characters', `OJA1-${hash}-abcdefghijklmnop+/`],
  ])('refuses %s', (_what, token) => {
    expect(() => parseJoinToken(token)).toThrow(InvalidJoinTokenError);
  });
});
