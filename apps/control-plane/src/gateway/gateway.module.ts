import { Module } from '@nestjs/common';
import { JoinTokensModule } from '../join-tokens/join-tokens.module';
import { PkiModule } from '../pki/pki.module';
import { AgentGatewayServer } from './agent-gateway.server';
import { AgentNodesRepository } from './agent-nodes.repository';
import { AgentSessions } from './agent-sessions.service';
import { AgentStreams } from './agent-streams.service';
import { InstanceReportsRepository } from './instance-reports.repository';
import { JoinService } from './join.service';

@Module({
  imports: [PkiModule, JoinTokensModule],
  providers: [AgentNodesRepository, InstanceReportsRepository, AgentSessions, AgentStreams, JoinService, AgentGatewayServer],
  exports: [AgentSessions, AgentGatewayServer],
})
export class GatewayModule {}
