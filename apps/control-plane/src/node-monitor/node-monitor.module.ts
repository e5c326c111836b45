import { Module } from '@nestjs/common';
import { NodeMonitorRepository } from './node-monitor.repository';
import { NodeMonitor } from './node-monitor.service';

@Module({ providers: [NodeMonitorRepository, NodeMonitor] })
export class NodeMonitorModule {}
