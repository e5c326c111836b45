import { Controller, Get, Logger, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import { dnsLabel, logsQuery } from '@oja/contracts';
import type { FastifyReply } from 'fastify';
import { parseParam, parseRequest } from '../api/validation';
import type { TenantContext } from '../auth/auth-context';
import { CurrentTenant, TenantScoped } from '../auth/auth.decorators';
import { LogsService } from './logs.service';
import { NdjsonWriter, notice } from './ndjson-writer';

@ApiTags('deployments')
@ApiBearerAuth()
@TenantScoped()
@Controller('v1/deployments')
export class LogsController {
  private readonly logger = new Logger('LogsController');

  constructor(private readonly logs: LogsService) {}

  /**
   * NDJSON `{ts, instance, node, stream, line}` of every replica: merged in time order, or with `follow`
   * streamed as lines arrive until the client disconnects. Lines `oja: …` with stream stderr come from oja
   * itself (dropped lines of a slow client, an instance whose logs could not be read).
   */
  @Get(':name/logs')
  @ApiProduces('application/x-ndjson')
  async stream(
    @CurrentTenant() tenant: TenantContext,
    @Param('name') name: string,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const q = parseRequest(logsQuery, query ?? {}, 'query');
    const prepared = await this.logs.prepare(tenant.tenantId, parseParam(dnsLabel, name, 'name'), q);
    // From here on the answer is a 200 stream: later failures become a notice line.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.flushHeaders();
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const writer = new NdjsonWriter(res);
    try {
      await this.logs.run(prepared, (entry) => writer.write(entry), gone.signal);
    } catch (err) {
      this.logger.warn(`logs of ${tenant.tenantName}/${name} failed: ${(err as Error).message}`);
      if (!gone.signal.aborted) writer.write(notice(`log stream failed: ${(err as Error).message}`));
    } finally {
      res.end();
    }
  }
}
