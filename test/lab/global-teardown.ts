import { teardownLab } from './teardown';

/** After all lab test files: nothing of the lab may outlive the run, whatever the tests did. */
export default function globalTeardown(): void {
  teardownLab();
}
