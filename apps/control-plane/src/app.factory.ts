import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Histogram } from 'prom-client';
import { AppModule, type AppOptions } from './app.module';
import { AdminTokenBootstrap } from './auth/admin-token.bootstrap';
import type { Config } from './config/config';
import { setupOpenApi } from './docs/openapi';
import { HTTP_DURATION } from './metrics/metrics.module';

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface CreateAppOptions extends AppOptions {
  /** Levels for Nest's console logger, false for none, or a logger of one's own (tests capture lines with one). */
  logger?: LogLevel[] | false | LoggerService;
}

export interface CreatedApp {
  app: NestFastifyApplication;
  /** Set only when no admin token existed and one was generated: print it once. */
  generatedAdminToken?: string;
}

/**
 * Builds and initialises the control plane (database connected and migrated, routes ready) without
 * listening: main.ts listens on OJA_HTTP_ADDR, tests on port 0.
 */
export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<CreatedApp> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    abortOnError: false,
  });
  try {
    const fastify = app.getHttpAdapter().getInstance();
    // JSON only: other content types (text/plain included) are answered 415 by Fastify.
    fastify.removeContentTypeParser('text/plain');
    const httpDuration = app.get<Histogram<'method' | 'route' | 'status'>>(HTTP_DURATION);
    fastify.addHook('onResponse', async (request, reply) => {
      httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    setupOpenApi(app);
    app.enableShutdownHooks();
    await app.init();
    await fastify.ready();
    const generatedAdminToken = await app.get(AdminTokenBootstrap).ensure();
    return { app, generatedAdminToken };
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}
