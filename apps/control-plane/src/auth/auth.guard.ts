import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { forbidden, unauthorized } from '../api/problem';
import { ApiTokenRepository } from './api-token.repository';
import { isAdmin, type AuthContext } from './auth-context';
import { ACCESS_KEY, type Access, type AuthenticatedRequest } from './auth.decorators';
import { bearerToken, hashToken, plausibleToken } from './token';

/** last_used_at is written at most this often per token, to keep requests cheap. */
const TOUCH_INTERVAL_MS = 60_000;

/** Global guard: every route needs a valid bearer token unless it is @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenRepository,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]) ?? 'any';
    if (access === 'public') return true;
    const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = await this.authenticate(request.headers.authorization);
    request.auth = auth;
    if (access === 'admin' && !isAdmin(auth)) throw forbidden('this operation needs the admin token');
    if (access === 'tenant' && isAdmin(auth)) {
      throw forbidden('this operation acts on a tenant\'s resources: use a tenant token (the admin token belongs to no tenant)');
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<AuthContext> {
    const token = bearerToken(header);
    if (!token) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
    const record = plausibleToken(token) ? await this.tokens.findByHash(hashToken(token)) : undefined;
    if (!record) throw unauthorized('invalid token');
    if (record.revokedAt) throw unauthorized('token has been revoked');
    if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) throw unauthorized('token has expired');
    if (!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      this.tokens.touch(record).catch((err: Error) => this.logger.warn(`could not record token use: ${err.message}`));
    }
    return { tokenId: record.id, tenantId: record.tenantId, tenantName: record.tenantName };
  }
}
