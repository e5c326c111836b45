/** Who is calling: resolved from the bearer token by AuthGuard and attached to the request. */
export interface AuthContext {
  tokenId: string;
  /** null for the admin token. */
  tenantId: string | null;
  tenantName: string | null;
}

/** A tenant caller, as handed to tenant-scoped handlers. */
export interface TenantContext {
  tenantId: string;
  tenantName: string;
}

export const isAdmin = (auth: AuthContext): boolean => auth.tenantId === null;
