/** Postgres SQLSTATE of an error, possibly wrapped by TypeORM's QueryFailedError. */
function sqlState(err: unknown): unknown {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  return e?.driverError?.code ?? e?.code;
}

/** unique_violation (23505). */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** deadlock_detected (40P01) or serialization_failure (40001): the transaction may simply be run again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40P01' || code === '40001';
}
