import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { unavailable } from '../api/problem';
import { withTimeout } from '../api/unavailable';
import { Public } from '../auth/auth.decorators';
import { REDIS } from '../queue/queue.module';

const CHECK_TIMEOUT_MS = 1500;

type CheckResult = 'ok' | string;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The process is alive and serving. */
  @Public()
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer; 503 naming what failed otherwise. */
  @Public()
  @Get('readyz')
  async readyz() {
    const [postgres, redis] = await Promise.all([
      check(() => this.ds.query('SELECT 1'), 'postgres'),
      check(() => this.redis.ping(), 'redis'),
    ]);
    const checks = { postgres, redis };
    const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
    if (failed.length) throw unavailable(`not ready: ${failed.map(([k, v]) => `${k} ${v}`).join('; ')}`, { checks });
    return { status: 'ok', checks };
  }
}

async function check(probe: () => Promise<unknown>, what: string): Promise<CheckResult> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, what);
    return 'ok';
  } catch (err) {
    return `unavailable (${(err as Error).message})`;
  }
}
