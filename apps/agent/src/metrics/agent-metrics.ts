import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { INSTANCE_STATES } from '@oja/contracts';

/** The agent's Prometheus metrics, on a registry of its own (no global state; several agents can share a process in tests). */
export class AgentMetrics {
  readonly registry = new Registry();
  private containerStates: () => Iterable<string> = () => [];

  /** Containers by instance state, computed at scrape time from the reconciler's reports. */
  readonly containers: Gauge<'state'>;
  readonly containerOpDuration: Histogram<'op'>;
  readonly logStreams: Gauge;
  readonly restarts: Counter;
  readonly healthChecks: Counter<'result'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const states = () => this.containerStates();
    this.containers = new Gauge({
      name: 'oja_agent_containers',
      help: 'Containers managed by this agent, by instance state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(INSTANCE_STATES.map((s) => [s, 0]));
        for (const s of states()) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    this.containerOpDuration = new Histogram({
      name: 'oja_agent_container_op_duration_seconds',
      help: 'Duration of container engine operations (pull, create, start, stop, remove, inspect, list, exec)',
      labelNames: ['op'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.logStreams = new Gauge({ name: 'oja_agent_log_streams', help: 'Log streams currently open', registers });
    this.restarts = new Counter({ name: 'oja_agent_restarts_total', help: 'Containers restarted by the agent after they exited', registers });
    this.healthChecks = new Counter({
      name: 'oja_agent_health_checks_total',
      help: 'Health probe results',
      labelNames: ['result'],
      registers,
    });
  }

  /** Where `oja_agent_containers` reads the current instance states from (the reconciler). */
  setContainerStateSource(source: () => Iterable<string>): void {
    this.containerStates = source;
  }

  /** Runs fn and records its duration under `op`, whether it succeeds or throws. */
  async timeOp<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const end = this.containerOpDuration.startTimer({ op });
    try {
      return await fn();
    } finally {
      end();
    }
  }
}
