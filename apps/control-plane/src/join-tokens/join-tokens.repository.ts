import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../gateway/sql-rows';

export type ConsumeResult = { ok: true; id: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** join_tokens rows: only sha256(secret) is stored. */
@Injectable()
export class JoinTokensRepository {
  constructor(private readonly ds: DataSource) {}

  async create(hash: string, ttlSeconds: number): Promise<{ id: string; expiresAt: Date }> {
    const rows: { id: string; expires_at: Date }[] = await this.ds.query(
      `INSERT INTO join_tokens (hash, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id, expires_at`,
      [hash, ttlSeconds],
    );
    return { id: rows[0].id, expiresAt: rows[0].expires_at };
  }

  /** One-time use: the UPDATE claims the token atomically, so two agents racing with one token cannot both win. */
  async consume(tx: EntityManager, hash: string): Promise<ConsumeResult> {
    const claimed = rowsOf<{ id: string }>(
      await tx.query(`UPDATE join_tokens SET used_at = now() WHERE hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id`, [hash]),
    );
    if (claimed[0]) return { ok: true, id: claimed[0].id };
    const rows: { used: boolean }[] = await tx.query(`SELECT used_at IS NOT NULL AS used FROM join_tokens WHERE hash = $1`, [hash]);
    if (!rows[0]) return { ok: false, reason: 'unknown' };
    return { ok: false, reason: rows[0].used ? 'used' : 'expired' };
  }

  async recordNode(tx: EntityManager, tokenId: string, nodeId: string): Promise<void> {
    await tx.query(`UPDATE join_tokens SET node_id = $2 WHERE id = $1`, [tokenId, nodeId]);
  }
}
