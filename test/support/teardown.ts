/** afterAll clean-up: runs every step even when an earlier one fails, so nothing is left behind, then throws the first failure. */
export async function runEveryStep(steps: (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) await Promise.resolve().then(step).catch((err) => failures.push(err));
  if (failures.length > 0) throw failures[0];
}
