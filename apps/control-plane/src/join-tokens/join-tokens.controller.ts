import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { createJoinTokenRequest, type TokenResponse } from '@oja/contracts';
import { parseRequest } from '../api/validation';
import { AdminOnly } from '../auth/auth.decorators';
import { requestBody } from '../docs/openapi';
import { JoinTokensService } from './join-tokens.service';

@ApiTags('nodes')
@ApiBearerAuth()
@Controller('v1/join-tokens')
export class JoinTokensController {
  constructor(private readonly joinTokens: JoinTokensService) {}

  @AdminOnly()
  @Post()
  @HttpCode(201)
  @ApiBody(requestBody('CreateJoinTokenRequest', { required: false }))
  create(@Body() body: unknown): Promise<TokenResponse> {
    const { ttlSeconds } = parseRequest(createJoinTokenRequest, body ?? {});
    return this.joinTokens.create(ttlSeconds);
  }
}
