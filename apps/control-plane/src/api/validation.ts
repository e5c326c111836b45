import { fieldErrors } from '@oja/contracts';
import type { z } from 'zod';
import { badRequest } from './problem';

/**
 * Validates a request body (or query) with a contracts schema; a failure is a 400 problem naming every
 * field. A missing or non-object body is reported as such rather than as a zod type error.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown, what: 'body' | 'query' = 'body'): z.output<S> {
  if (what === 'body' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw badRequest([{ path: '(body)', message: 'the request body must be a JSON object' }]);
  }
  const result = schema.safeParse(input);
  if (!result.success) throw badRequest(fieldErrors(result.error));
  return result.data;
}

/** Validates one path or query parameter, naming it on failure. */
export function parseParam<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(fieldErrors(result.error, name));
  return result.data;
}
