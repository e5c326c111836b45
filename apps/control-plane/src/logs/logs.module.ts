import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { LogRouter } from './log-router';
import { LogsController } from './logs.controller';
import { LogsRepository } from './logs.repository';
import { LogsService } from './logs.service';

@Module({ imports: [GatewayModule], controllers: [LogsController], providers: [LogsRepository, LogRouter, LogsService] })
export class LogsModule {}
