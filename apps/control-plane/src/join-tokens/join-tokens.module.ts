import { Module } from '@nestjs/common';
import { PkiModule } from '../pki/pki.module';
import { JoinTokensController } from './join-tokens.controller';
import { JoinTokensRepository } from './join-tokens.repository';
import { JoinTokensService } from './join-tokens.service';

@Module({
  imports: [PkiModule],
  controllers: [JoinTokensController],
  providers: [JoinTokensRepository, JoinTokensService],
  exports: [JoinTokensRepository],
})
export class JoinTokensModule {}
