import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { PROBLEM_CONTENT_TYPE, type Problem } from '@oja/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem, problemBody } from './problem';
import { isUnavailableError } from './unavailable';

/**
 * Turns every error (ours, Nest's, Fastify's body parsing, database and Redis failures) into an
 * RFC 9457 application/problem+json answer. Bad input is always a 4xx; unreachable backends a 503.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest | undefined>();
    const problem = this.toProblem(error, request);
    if (reply.sent) return;
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(error: unknown, request?: FastifyRequest): Problem {
    const instance = request?.url?.split('?')[0];
    if (error instanceof ApiProblem) return error.toProblem(instance);
    if (error instanceof HttpException) {
      const status = error.getStatus();
      return problemBody(status, httpExceptionDetail(error), { instance });
    }
    const fastifyStatus = clientErrorStatus(error);
    if (fastifyStatus) return problemBody(fastifyStatus, (error as Error).message, { instance });
    if (isUnavailableError(error)) {
      this.logger.warn(`backend unavailable: ${(error as Error).message}`);
      return problemBody(503, 'a backing service (database or queue) is unavailable; retry shortly', { instance, kind: 'unavailable' });
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return problemBody(500, 'internal error', { instance });
  }
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}

/** Fastify's own errors (FST_ERR_CTP_*, JSON syntax) carry a 4xx statusCode. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
