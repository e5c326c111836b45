import type { HealthSpec } from '@oja/contracts';
import { recordCheck, type HealthState } from './health-state';
import type { ProbeResult } from './probes';

/**
 * Runs one instance's probe: first after initialDelaySeconds, then every intervalSeconds (measured from
 * the end of the previous check, so slow checks never pile up), until stopped.
 */
export class Prober {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly health: HealthSpec,
    private readonly check: () => Promise<ProbeResult>,
    private state: HealthState,
    private readonly onChange: (state: HealthState, result: ProbeResult) => void,
  ) {}

  start(): void {
    this.schedule(this.health.initialDelaySeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runOnce(), delayMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    const result = await this.check().catch((err: Error): ProbeResult => ({ ok: false, output: err.message }));
    if (this.stopped) return;
    this.state = recordCheck(this.state, { at: new Date().toISOString(), ...result }, this.health.failureThreshold);
    this.onChange(this.state, result);
    this.schedule(this.health.intervalSeconds * 1000);
  }
}
