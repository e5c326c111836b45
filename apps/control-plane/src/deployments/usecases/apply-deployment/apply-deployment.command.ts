import type { TenantContext } from '../../../auth/auth-context';

/** PUT /v1/deployments/:name: the spec document as sent, for the caller's tenant. */
export interface ApplyDeploymentCommand extends TenantContext {
  /** The name in the URL. */
  name: string;
  /** The spec document (unvalidated). */
  document: unknown;
}
