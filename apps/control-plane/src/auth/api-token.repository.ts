import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { MintedToken } from './token';

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
  constructor(private readonly ds: DataSource) {}

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const rows: TokenRecord[] = await this.ds.query(
      `SELECT t.id, t.tenant_id AS "tenantId", n.name AS "tenantName", t.expires_at AS "expiresAt",
              t.revoked_at AS "revokedAt", t.last_used_at AS "lastUsedAt"
         FROM api_tokens t LEFT JOIN tenants n ON n.id = t.tenant_id
        WHERE t.hash = $1`,
      [hash],
    );
    return rows[0];
  }

  async touch(id: string): Promise<void> {
    await this.ds.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [id]);
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
