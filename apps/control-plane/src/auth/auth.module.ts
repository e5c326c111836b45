import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminTokenBootstrap } from './admin-token.bootstrap';
import { ApiTokenRepository } from './api-token.repository';
import { AuthGuard } from './auth.guard';

@Global()
@Module({
  providers: [ApiTokenRepository, AdminTokenBootstrap, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiTokenRepository, AdminTokenBootstrap],
})
export class AuthModule {}
