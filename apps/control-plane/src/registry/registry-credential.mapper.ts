import type { RegistryCredentialView } from '@oja/contracts';
import type { RegistryCredentialEntity } from '../db/entities';

/** The public shape: the secret never leaves the service. */
export function toRegistryCredentialView(row: RegistryCredentialEntity): RegistryCredentialView {
  return { name: row.name, server: row.server, username: row.username, createdAt: row.createdAt.toISOString() };
}
