import { Module } from '@nestjs/common';
import { JoinTokensModule } from '../join-tokens/join-tokens.module';
import { PkiModule } from '../pki/pki.module';
import { RolloutModule } from '../rollout/rollout.module';
import { AgentGatewayServer } from './agent-gateway.server';
import { AgentNodesRepository } from './agent-nodes.repository';
import { AgentSessions } from './agent-sessions.service';
import { AgentStreams } from './agent-streams.service';
import { InstanceReportsRepository } from './instance-reports.repository';
import { JoinService } from './join.service';
import { NodeAuthenticator } from './node-authenticator';
import { RenewalService } from './renewal.service';
import { RoutesRepository } from './routes.repository';

@Module({
  imports: [PkiModule, JoinTokensModule, RolloutModule],
  providers: [
    AgentNodesRepository,
    InstanceReportsRepository,
    RoutesRepository,
    AgentSessions,
    NodeAuthenticator,
    AgentStreams,
    JoinService,
    RenewalService,
    AgentGatewayServer,
  ],
  exports: [AgentSessions, AgentGatewayServer],
})
export class GatewayModule {}
