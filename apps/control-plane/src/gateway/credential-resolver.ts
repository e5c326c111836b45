import type { RegistryAuth } from '@oja/proto';

/** Resolves a tenant's stored registry credential for a desired state (implemented by the registry module). */
export interface CredentialResolver {
  resolve(tenantId: string, name: string): Promise<RegistryAuth | null>;
}
export const CREDENTIAL_RESOLVER = Symbol('CredentialResolver');
