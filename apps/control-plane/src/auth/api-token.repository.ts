import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { MintedToken } from './token';
import { TtlCache } from './ttl-cache';

/**
 * How long a token lookup is reused. Revoking through this replica takes effect at once (the entry is dropped);
 * on another replica a revoked or expired-by-deletion token keeps working for at most this long.
 */
export const TOKEN_CACHE_TTL_MS = 1000;
const TOKEN_CACHE_MAX_ENTRIES = 10_000;

export interface TokenRecord {
  id: string;
  tenantId: string | null;
  tenantName: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

@Injectable()
export class ApiTokenRepository {
  /** Known tokens by hash (unknown ones are not cached: garbage tokens must not fill memory). */
  private readonly cache = new TtlCache<string, TokenRecord>(TOKEN_CACHE_TTL_MS, TOKEN_CACHE_MAX_ENTRIES);

  constructor(private readonly ds: DataSource) {}

  /** The token with this hash; answered from a short cache (see TOKEN_CACHE_TTL_MS), as every request asks. */
  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const rows: TokenRecord[] = await this.ds.query(
      `SELECT t.id, t.tenant_id AS "tenantId", n.name AS "tenantName", t.expires_at AS "expiresAt",
              t.revoked_at AS "revokedAt", t.last_used_at AS "lastUsedAt"
         FROM api_tokens t LEFT JOIN tenants n ON n.id = t.tenant_id
        WHERE t.hash = $1`,
      [hash],
    );
    if (rows[0]) this.cache.set(hash, rows[0]);
    return rows[0];
  }

  /** Records a use of the token (also on the cached record, so that requests within the TTL don't write again). */
  async touch(record: TokenRecord): Promise<void> {
    record.lastUsedAt = new Date();
    await this.ds.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [record.id]);
  }

  async insert(
    tx: EntityManager,
    token: MintedToken,
    opts: { tenantId: string | null; name: string; expiresAt?: Date },
  ): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO api_tokens (tenant_id, name, hash, prefix, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [opts.tenantId, opts.name, token.hash, token.prefix, opts.expiresAt ?? null],
    );
    return rows[0].id;
  }

  /** Revokes one of the tenant's tokens; false when there is no such (unrevoked) token of this tenant. */
  async revoke(tenantId: string, id: string): Promise<boolean> {
    const [, count] = (await this.ds.query(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL`,
      [id, tenantId],
    )) as [unknown, number];
    this.cache.deleteWhere((record) => record.id === id);
    return count > 0;
  }

  /** Stores `token` as the admin token called `name`, replacing an older one of that name. */
  async upsertAdmin(tx: EntityManager, name: string, token: MintedToken): Promise<void> {
    await tx.query(`DELETE FROM api_tokens WHERE tenant_id IS NULL AND name = $1 AND hash <> $2`, [name, token.hash]);
    await tx.query(
      `INSERT INTO api_tokens (tenant_id, name, hash, prefix) VALUES (NULL, $1, $2, $3) ON CONFLICT (hash) DO NOTHING`,
      [name, token.hash, token.prefix],
    );
  }

  async hasLiveAdmin(tx: EntityManager): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM api_tokens WHERE tenant_id IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
    );
    return rows.length > 0;
  }
}
