import { Global, Module } from '@nestjs/common';
import { ClusterCountsRepository } from './cluster-counts.repository';
import { ClusterMetrics } from './cluster-metrics';
import { GrpcMetrics } from './grpc-metrics';

/** Metric collectors that read shared state on scrape; GrpcMetrics is injected (optionally) by the agent gateway. */
@Global()
@Module({ providers: [ClusterCountsRepository, ClusterMetrics, GrpcMetrics], exports: [GrpcMetrics] })
export class ObservabilityModule {}
