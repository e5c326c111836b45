import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../metrics/metrics.module';

/** Scheduler metrics on the app's registry. The waiting gauge reads the queue when scraped. */
@Injectable()
export class SchedulingMetrics {
  readonly placements: Counter;
  readonly duration: Histogram;
  private waitingCount: () => Promise<number> = async () => 0;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.placements = new Counter({ name: 'oja_placements_total', help: 'Instances placed on a node by the scheduler', registers: [registry] });
    this.duration = new Histogram({
      name: 'oja_scheduling_duration_seconds',
      help: 'Time to evaluate one deployment (load, reconcile, place, persist)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const metrics = this;
    new Gauge({
      name: 'oja_evaluations_waiting',
      help: 'Evaluations queued and not yet taken by a worker',
      registers: [registry],
      async collect() {
        this.set(await metrics.waitingCount().catch(() => 0));
      },
    });
  }

  /** Installed by the worker when evaluations go through BullMQ (inline evaluations never wait). */
  countWaitingWith(count: () => Promise<number>): void {
    this.waitingCount = count;
  }
}
