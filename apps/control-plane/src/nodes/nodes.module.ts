import { Module } from '@nestjs/common';
import { NodeRepository } from './node.repository';
import { NodesController } from './nodes.controller';
import { NodesService } from './nodes.service';

@Module({ controllers: [NodesController], providers: [NodesService, NodeRepository], exports: [NodesService] })
export class NodesModule {}
