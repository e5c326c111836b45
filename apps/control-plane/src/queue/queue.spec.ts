import { EvaluationHandlers } from './evaluation-handlers';
import { InlineEvaluationQueue } from './inline-evaluation.queue';
import { failFastRedisOptions, redisOptionsFromUrl, workerRedisOptions } from './redis-options';

describe('InlineEvaluationQueue', () => {
  it('throws rather than dropping work when no handler is registered', async () => {
    await expect(new InlineEvaluationQueue(new EvaluationHandlers()).enqueue('d1')).rejects.toThrow(/no evaluation handler/);
  });

  it('runs the registered handler inline', async () => {
    const handlers = new EvaluationHandlers();
    const seen: string[] = [];
    handlers.register({ evaluate: async (id) => void seen.push(id) });
    await new InlineEvaluationQueue(handlers).enqueue('d1');
    expect(seen).toEqual(['d1']);
  });

  it('refuses a second, different handler', () => {
    const handlers = new EvaluationHandlers();
    handlers.register({ evaluate: async () => undefined });
    expect(() => handlers.register({ evaluate: async () => undefined })).toThrow(/already registered/);
  });
});

describe('redisOptionsFromUrl', () => {
  it('honours host, port, credentials and the db index', () => {
    expect(redisOptionsFromUrl('redis://user:p%40ss@10.0.0.1:6380/3')).toEqual({ host: '10.0.0.1', port: 6380, username: 'user', password: 'p@ss', db: 3 });
  });
  it('defaults port and db', () => expect(redisOptionsFromUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 }));
  it('enables TLS for rediss', () => expect(redisOptionsFromUrl('rediss://h:1/0').tls).toEqual({}));
  it('rejects a non-numeric db', () => expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow(/database index/));
});

describe('Redis connection options', () => {
  const attempts = Array.from({ length: 50 }, (_, i) => i + 1);

  it('worker connections wait through outages and reconnect at least once a second (BullMQ alone backs off to 20 s)', () => {
    const options = workerRedisOptions('redis://10.0.0.1:6380/2');
    expect(options).toMatchObject({ host: '10.0.0.1', port: 6380, db: 2, maxRetriesPerRequest: null });
    expect(Math.max(...attempts.map((n) => options.retryStrategy!(n) as number))).toBe(1000);
  });

  it('request connections fail at once and reconnect at least once a second', () => {
    const options = failFastRedisOptions('redis://127.0.0.1');
    expect(options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    expect(Math.max(...attempts.map((n) => options.retryStrategy!(n) as number))).toBe(1000);
  });
});
