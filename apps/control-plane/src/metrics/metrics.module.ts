import { Controller, Get, Global, Header, Inject, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { Public } from '../auth/auth.decorators';

/**
 * The app's own prom-client Registry (not the global default: tests boot several apps in one process).
 * Other modules inject it with @Inject(METRICS_REGISTRY) and register their metrics on it.
 */
export const METRICS_REGISTRY = Symbol('MetricsRegistry');
export const HTTP_DURATION = Symbol('HttpDurationHistogram');
/** Buckets (seconds) of the request histograms: API requests and agent messages. */
export const REQUEST_DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

@ApiExcludeController()
@Controller()
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Public()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_REGISTRY,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    {
      provide: HTTP_DURATION,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) =>
        new Histogram({
          name: 'oja_http_request_duration_seconds',
          help: 'HTTP request duration by method, route template and status',
          labelNames: ['method', 'route', 'status'] as const,
          buckets: REQUEST_DURATION_BUCKETS,
          registers: [registry],
        }),
    },
  ],
  exports: [METRICS_REGISTRY, HTTP_DURATION],
})
export class MetricsModule {}
