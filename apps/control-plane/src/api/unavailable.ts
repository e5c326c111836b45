/**
 * Decides whether an error means "a backing service (Postgres, Redis) is unreachable or too slow",
 * which the API answers with 503 rather than 500.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Postgres SQLSTATEs: 08xxx connection exceptions, 57014 query_canceled (statement timeout),
// 57P01..57P03 admin shutdown / cannot connect now, 53300 too many connections, 25P03 idle-in-transaction timeout.
const PG_UNAVAILABLE = /^(08...|57014|57P0[1-3]|53300|25P03)$/;
const MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /Query read timeout/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /getaddrinfo/i,
  /connect ECONNREFUSED/i,
];

export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

export function isUnavailableError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  if (err instanceof ServiceUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; name?: unknown };
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code))) return true;
  if (typeof e.message === 'string' && MESSAGES.some((re) => re.test(e.message as string))) return true;
  return isUnavailableError(e.driverError, depth + 1) || isUnavailableError(e.cause, depth + 1);
}

/** Rejects with ServiceUnavailableError when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
