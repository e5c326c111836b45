import { EvaluationHandlers } from './evaluation-handlers';
import { InlineEvaluationQueue } from './inline-evaluation.queue';
import { redisOptionsFromUrl } from './redis-options';

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
