import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { CaRepository } from './ca.repository';
import { PkiService } from './pki.service';

@Module({ imports: [CryptoModule], providers: [CaRepository, PkiService], exports: [PkiService] })
export class PkiModule {}
