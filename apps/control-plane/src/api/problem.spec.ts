import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ApiProblem, badRequest } from './problem';
import { ProblemFilter } from './problem.filter';
import { isUnavailableError } from './unavailable';

describe('ProblemFilter.toProblem', () => {
  const filter = new ProblemFilter();

  it('keeps an ApiProblem with its field errors', () => {
    expect(filter.toProblem(badRequest([{ path: 'replicas', message: 'must be a number' }]))).toEqual({
      type: 'urn:oja:problem:validation',
      title: 'Bad Request',
      status: 400,
      detail: 'replicas: must be a number',
      errors: [{ path: 'replicas', message: 'must be a number' }],
    });
  });

  it("maps Nest's HTTP exceptions", () => {
    expect(filter.toProblem(new NotFoundException('Cannot GET /x'))).toMatchObject({ status: 404, title: 'Not Found', detail: 'Cannot GET /x' });
    expect(filter.toProblem(new BadRequestException(['a', 'b']))).toMatchObject({ status: 400, detail: 'a; b' });
  });

  it("keeps Fastify's own 4xx errors (body parsing, size, media type)", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(filter.toProblem(tooLarge)).toMatchObject({ status: 413, title: 'Content Too Large', detail: 'Request body is too large' });
  });

  it('answers 503 for unreachable backends and 500 (without details) for bugs', () => {
    expect(filter.toProblem(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 503 });
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(filter.toProblem(new TypeError('x is undefined'))).toMatchObject({ status: 500, detail: 'internal error' });
  });

  it('adds extension members', () => {
    expect(new ApiProblem(503, 'not ready', undefined, 'unavailable', { checks: { redis: 'down' } }).toProblem()).toMatchObject({ checks: { redis: 'down' } });
  });
});

describe('isUnavailableError', () => {
  it.each([
    [{ code: 'ECONNRESET' }, true],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, true],
    [{ code: '08006' }, true],
    [{ driverError: { code: '57P01' } }, true],
    [new Error('timeout exceeded when trying to connect'), true],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), true],
    [{ name: 'MaxRetriesPerRequestError', message: 'x' }, true],
    [{ code: '23505', message: 'duplicate key' }, false],
    [new Error('boom'), false],
    [null, false],
  ])('%p → %p', (err, expected) => expect(isUnavailableError(err)).toBe(expected));
});
