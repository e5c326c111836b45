import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemFilter } from './api/problem.filter';
import { AuthModule } from './auth/auth.module';
import type { Config } from './config/config';
import { ConfigModule } from './config/config.module';
import { DbModule } from './db/db.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { EventsModule } from './events/events.module';
import { GatewayModule } from './gateway/gateway.module';
import { NodeMonitorModule } from './node-monitor/node-monitor.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { HealthModule } from './health/health.module';
import { LogsModule } from './logs/logs.module';
import { MetricsModule } from './metrics/metrics.module';
import { NodesModule } from './nodes/nodes.module';
import { ObservabilityModule } from './observability/observability.module';
import { QueueModule, type QueueDriver } from './queue/queue.module';
import { RegistryModule } from './registry/registry.module';
import { TenantsModule } from './tenants/tenants.module';
import { TokensModule } from './tokens/tokens.module';

export interface AppOptions {
  /** "bullmq" (default) or "inline" (evaluations run synchronously; a handler must be registered). */
  queue?: QueueDriver;
}

@Module({})
export class AppModule {
  static forRoot(config: Config, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule,
        QueueModule.forRoot(options.queue ?? 'bullmq'),
        MetricsModule,
        ObservabilityModule,
        AuthModule,
        EventsModule,
        HealthModule,
        TenantsModule,
        TokensModule,
        DeploymentsModule,
        GatewayModule,
        SchedulingModule,
        NodeMonitorModule,
        NodesModule,
        RegistryModule,
        LogsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
