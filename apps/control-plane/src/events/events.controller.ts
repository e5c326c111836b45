import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { eventsQuery, type EventView, type List } from '@oja/contracts';
import { parseRequest } from '../api/validation';
import { isAdmin, type AuthContext } from '../auth/auth-context';
import { CurrentAuth } from '../auth/auth.decorators';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** A tenant sees its own events; the admin sees all, node events included. */
  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: unknown): Promise<List<EventView>> {
    const q = parseRequest(eventsQuery, query ?? {}, 'query');
    const items = await this.events.list({ ...q, tenantId: isAdmin(auth) ? undefined : (auth.tenantId as string) });
    return { items };
  }
}
