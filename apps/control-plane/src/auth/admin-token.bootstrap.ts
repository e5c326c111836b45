import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CONFIG, type Config } from '../config/config';
import { withAdvisoryLock } from '../db/data-source';
import { ApiTokenRepository } from './api-token.repository';
import { describeToken, generateToken } from './token';

const ADMIN_LOCK_KEY = 0x6f6a61_02;
const BOOTSTRAP_NAME = 'bootstrap';

/**
 * Makes sure an admin token exists: OJA_ADMIN_TOKEN is stored (hashed) as the "bootstrap" admin token;
 * without it a token is generated on first start only. Under an advisory lock, so replicas agree.
 */
@Injectable()
export class AdminTokenBootstrap {
  constructor(
    private readonly ds: DataSource,
    private readonly tokens: ApiTokenRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Returns the generated token (to print once), or undefined when none was generated. */
  async ensure(): Promise<string | undefined> {
    return withAdvisoryLock(this.ds, ADMIN_LOCK_KEY, () =>
      this.ds.transaction(async (tx) => {
        if (this.config.adminToken) {
          await this.tokens.upsertAdmin(tx, BOOTSTRAP_NAME, describeToken(this.config.adminToken));
          return undefined;
        }
        if (await this.tokens.hasLiveAdmin(tx)) return undefined;
        const minted = generateToken();
        await this.tokens.insert(tx, minted, { tenantId: null, name: BOOTSTRAP_NAME });
        return minted.token;
      }),
    );
  }
}
