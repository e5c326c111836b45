import { z } from 'zod';

/** RFC 9457 problem details, as every 4xx/5xx of the API is shaped. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** One entry per invalid field, path in dotted form ("ports.1.container"). */
  errors?: FieldError[];
}
export interface FieldError {
  path: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Turns a zod error into field errors and a one-line detail naming each field. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
      return { path: keys.join(', '), message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` };
    }
    return { path: path || '(body)', message: issue.message };
  });
}

export function describeFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => (e.message.startsWith('unknown field') ? e.message : `${e.path}: ${e.message}`)).join('; ');
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'status' in value && 'title' in value;
}
