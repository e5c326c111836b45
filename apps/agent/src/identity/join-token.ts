/**
 * A join token is `OJA1-<sha256 hex of the CA certificate DER>-<secret>`: the hash lets the agent check it is talking
 * to the right control plane before it sends the secret; only the secret part goes over the wire in Join.
 */
export interface JoinToken {
  caSha256: string;
  secret: string;
}

export class InvalidJoinTokenError extends Error {}

const JOIN_TOKEN = /^OJA1-([0-9a-fA-F]{64})-([A-Za-z0-9_-]{16,})$/;

export function parseJoinToken(token: string): JoinToken {
  const match = JOIN_TOKEN.exec(token.trim());
  if (!match) {
    throw new InvalidJoinTokenError('the join token is malformed: expected OJA1-<64 hex digits>-<secret> as printed by `oja join-token`');
  }
  return { caSha256: match[1].toLowerCase(), secret: match[2] };
}
