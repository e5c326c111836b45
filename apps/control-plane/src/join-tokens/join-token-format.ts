import { createHash, randomBytes } from 'node:crypto';

/**
 * Join token = `OJA1-<sha256 hex of the CA certificate DER>-<secret>`. The CA hash lets the agent check it
 * talks to the right control plane before trusting it; only sha256(secret) is stored.
 */
const PREFIX = 'OJA1-';
const CA_HASH = /^[0-9a-f]{64}$/;

export interface ParsedJoinToken {
  caFingerprint: string;
  secret: string;
}

export function newJoinSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatJoinToken(caFingerprint: string, secret: string): string {
  return `${PREFIX}${caFingerprint}-${secret}`;
}

/** The secret may contain "-" (base64url), so split only at the first two. */
export function parseJoinToken(token: string): ParsedJoinToken | null {
  if (!token.startsWith(PREFIX)) return null;
  const rest = token.slice(PREFIX.length);
  const caFingerprint = rest.slice(0, 64);
  const secret = rest.slice(65);
  if (!CA_HASH.test(caFingerprint) || rest[64] !== '-' || secret.length === 0) return null;
  return { caFingerprint, secret };
}

export function hashJoinSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
