import { teardownLab } from './teardown';

/**
 * Jest globalSetup for lab tests. It runs in Jest's own process (test files get a sandboxed
 * `process` whose 'exit' listeners never fire), so this is where a lab left up by a failed or
 * interrupted run is torn down: on exit, and on SIGINT/SIGTERM before dying of the signal.
 */
export default function globalSetup(): void {
  process.once('exit', teardownLab);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      teardownLab();
      process.kill(process.pid, signal);
    });
  }
}
