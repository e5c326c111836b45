import { Module } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { SecretBox } from './secret-box';

/** Provides the SecretBox keyed with OJA_SECRET_KEY. */
@Module({
  providers: [{ provide: SecretBox, useFactory: (config: Config) => new SecretBox(config.secretKey), inject: [CONFIG] }],
  exports: [SecretBox],
})
export class CryptoModule {}
