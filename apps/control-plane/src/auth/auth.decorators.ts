import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext, TenantContext } from './auth-context';

export type Access = 'public' | 'admin' | 'tenant' | 'any';
export const ACCESS_KEY = 'oja:access';

/** No token needed (health, metrics, docs). */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);
/** Only the admin token. */
export const AdminOnly = () => SetMetadata(ACCESS_KEY, 'admin' satisfies Access);
/** Only a tenant token; the admin token gets 403. */
export const TenantScoped = () => SetMetadata(ACCESS_KEY, 'tenant' satisfies Access);
/** Any valid token, admin or tenant (the default for routes without a decorator). */
export const AnyToken = () => SetMetadata(ACCESS_KEY, 'any' satisfies Access);

export type AuthenticatedRequest = FastifyRequest & { auth?: AuthContext };

/** The caller of a @TenantScoped() handler: `{tenantId, tenantName}`. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantContext => {
  const auth = ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (!auth?.tenantId || !auth.tenantName) throw new Error('CurrentTenant used on a route that is not @TenantScoped()');
  return { tenantId: auth.tenantId, tenantName: auth.tenantName };
});

/** The caller of any authenticated handler (admin or tenant). */
export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (!auth) throw new Error('CurrentAuth used on a @Public() route');
  return auth;
});
