import { Global, Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { CREDENTIAL_RESOLVER } from '../gateway/credential-resolver';
import { RegistryCredentialRepository } from './registry-credential.repository';
import { RegistryCredentialsController } from './registry-credentials.controller';
import { RegistryCredentialsService } from './registry-credentials.service';

/** Global so the gateway finds the CredentialResolver it puts into desired states. */
@Global()
@Module({
  imports: [CryptoModule],
  controllers: [RegistryCredentialsController],
  providers: [
    RegistryCredentialsService,
    RegistryCredentialRepository,
    { provide: CREDENTIAL_RESOLVER, useExisting: RegistryCredentialsService },
  ],
  exports: [RegistryCredentialsService, CREDENTIAL_RESOLVER],
})
export class RegistryModule {}
