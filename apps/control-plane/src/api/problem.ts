import { describeFieldErrors, type FieldError, type Problem } from '@oja/contracts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** An error that is answered as an RFC 9457 problem; throw it from any layer. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** Short slug for the problem type URI (defaults from the status). */
    readonly kind?: string,
    /** Extra members of the problem object (e.g. readiness checks). */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }

  toProblem(instance?: string): Problem & Record<string, unknown> {
    return problemBody(this.status, this.detail, { errors: this.errors, kind: this.kind, instance, extensions: this.extensions });
  }
}

export function problemBody(
  status: number,
  detail: string,
  opts: { errors?: FieldError[]; kind?: string; instance?: string; extensions?: Record<string, unknown> } = {},
): Problem & Record<string, unknown> {
  const title = statusTitle(status);
  const kind = opts.kind ?? title.toLowerCase().replace(/[^a-z]+/g, '-');
  return {
    type: `urn:oja:problem:${kind}`,
    title,
    status,
    detail,
    ...(opts.instance ? { instance: opts.instance } : {}),
    ...(opts.errors?.length ? { errors: opts.errors } : {}),
    ...opts.extensions,
  };
}

export const badRequest = (errors: FieldError[]) => new ApiProblem(400, describeFieldErrors(errors), errors, 'validation');
export const unauthorized = (detail: string) => new ApiProblem(401, detail);
export const forbidden = (detail: string) => new ApiProblem(403, detail);
export const notFound = (detail: string) => new ApiProblem(404, detail);
export const conflict = (detail: string, errors?: FieldError[]) => new ApiProblem(409, detail, errors);
export const unavailable = (detail: string, extensions?: Record<string, unknown>) =>
  new ApiProblem(503, detail, undefined, 'unavailable', extensions);
