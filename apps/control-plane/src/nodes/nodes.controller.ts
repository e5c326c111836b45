import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { dedicateRequest, nodeName, type List, type NodeView } from '@oja/contracts';
import { parseParam, parseRequest } from '../api/validation';
import { AdminOnly } from '../auth/auth.decorators';
import { requestBody } from '../docs/openapi';
import { NodesService } from './nodes.service';

@ApiTags('nodes')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  async list(): Promise<List<NodeView>> {
    return { items: await this.nodes.list() };
  }

  @Post(':name/drain')
  @HttpCode(200)
  drain(@Param('name') name: string): Promise<NodeView> {
    return this.nodes.drain(parseParam(nodeName, name, 'name'));
  }

  @Post(':name/undrain')
  @HttpCode(200)
  undrain(@Param('name') name: string): Promise<NodeView> {
    return this.nodes.undrain(parseParam(nodeName, name, 'name'));
  }

  @Post(':name/dedicate')
  @HttpCode(200)
  @ApiBody(requestBody('DedicateRequest'))
  dedicate(@Param('name') name: string, @Body() body: unknown): Promise<NodeView> {
    const node = parseParam(nodeName, name, 'name');
    return this.nodes.dedicate(node, parseRequest(dedicateRequest, body).tenant);
  }

  /** Forgets a node that left (down or drained): its overlay subnet is released and other nodes drop it as a peer. */
  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string): Promise<void> {
    await this.nodes.remove(parseParam(nodeName, name, 'name'));
  }

  @Post(':name/undedicate')
  @HttpCode(200)
  undedicate(@Param('name') name: string): Promise<NodeView> {
    return this.nodes.undedicate(parseParam(nodeName, name, 'name'));
  }
}
