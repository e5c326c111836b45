import { createHash, randomBytes } from 'node:crypto';

/** API tokens: "oja_" + 32 random bytes base64url (43 characters). */
export const TOKEN_PREFIX = 'oja_';
const TOKEN_FORMAT = /^oja_[A-Za-z0-9_-]{43}$/;
/** How much of a token is kept in clear, to recognise it in listings. */
const SHOWN_PREFIX_LENGTH = 12;

export interface MintedToken {
  token: string;
  hash: string;
  prefix: string;
}

export function generateToken(): MintedToken {
  return describeToken(TOKEN_PREFIX + randomBytes(32).toString('base64url'));
}

/** Hash and visible prefix of a token given by an operator (OJA_ADMIN_TOKEN) or generated. */
export function describeToken(token: string): MintedToken {
  return { token, hash: hashToken(token), prefix: token.slice(0, SHOWN_PREFIX_LENGTH) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Generated tokens have a fixed shape; an operator's OJA_ADMIN_TOKEN is any 16+ characters. Anything else
 * is rejected without a database lookup.
 */
export function plausibleToken(token: string): boolean {
  return TOKEN_FORMAT.test(token) || (token.length >= 16 && token.length <= 512);
}

/** The bearer credential of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
