import { Injectable } from '@nestjs/common';
import type { TokenResponse } from '@oja/contracts';
import { PkiService } from '../pki/pki.service';
import { formatJoinToken, hashJoinSecret, newJoinSecret } from './join-token-format';
import { JoinTokensRepository } from './join-tokens.repository';

@Injectable()
export class JoinTokensService {
  constructor(
    private readonly tokens: JoinTokensRepository,
    private readonly pki: PkiService,
  ) {}

  /** A one-time token for `oja-agent --join`; the secret appears only in this answer. */
  async create(ttlSeconds: number): Promise<TokenResponse> {
    const secret = newJoinSecret();
    const { id, expiresAt } = await this.tokens.create(hashJoinSecret(secret), ttlSeconds);
    return { id, token: formatJoinToken(this.pki.caFingerprint, secret), expiresAt: expiresAt.toISOString() };
  }
}
