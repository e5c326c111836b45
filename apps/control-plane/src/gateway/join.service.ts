import { Injectable, Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { nodeName as nodeNameSchema } from '@oja/contracts';
import type { JoinRequest, JoinResponse } from '@oja/proto';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { hashJoinSecret, parseJoinToken } from '../join-tokens/join-token-format';
import { JoinTokensRepository } from '../join-tokens/join-tokens.repository';
import { InvalidCsrError, certificateFingerprint, csrKeyFingerprint } from '../pki/certificates';
import { PkiService } from '../pki/pki.service';
import { AgentNodesRepository } from './agent-nodes.repository';
import { GatewayError } from './gateway-error';

const UNIQUE_VIOLATION = '23505';
const REFUSED: Record<'unknown' | 'used' | 'expired', string> = {
  unknown: 'invalid join token',
  used: 'join token already used',
  expired: 'join token expired',
};

/** Join: a one-time token and a CSR for the agent's own key become a node certificate signed by the cluster CA. */
@Injectable()
export class JoinService {
  private readonly logger = new Logger('JoinService');

  constructor(
    private readonly transactor: Transactor,
    private readonly tokens: JoinTokensRepository,
    private readonly nodes: AgentNodesRepository,
    private readonly pki: PkiService,
    private readonly events: EventsService,
  ) {}

  async join(req: JoinRequest, peer: string): Promise<JoinResponse> {
    try {
      return await this.joinNode(req);
    } catch (err) {
      if (err instanceof GatewayError) this.logger.warn(`join of node "${req.nodeName}" from ${peer} refused: ${err.message}`);
      throw err;
    }
  }

  private async joinNode(req: JoinRequest): Promise<JoinResponse> {
    const name = nodeNameSchema.safeParse(req.nodeName);
    if (!name.success) throw new GatewayError(status.INVALID_ARGUMENT, `node_name ${name.error.issues[0].message}`);
    const secret = this.secretOf(req.token);
    let keyFingerprint: string;
    try {
      keyFingerprint = csrKeyFingerprint(req.csrPem);
    } catch (err) {
      if (err instanceof InvalidCsrError) throw new GatewayError(status.INVALID_ARGUMENT, err.message);
      throw err;
    }
    try {
      return await this.transactor.run(async (tx) => {
        // Everything below is one transaction: a refusal after the claim rolls the claim back.
        const claim = await this.tokens.consume(tx, hashJoinSecret(secret));
        if (!claim.ok) throw new GatewayError(status.PERMISSION_DENIED, REFUSED[claim.reason]);
        const existing = await this.nodes.lockByName(tx, name.data);
        if (existing && existing.keyFingerprint !== keyFingerprint) {
          throw new GatewayError(status.ALREADY_EXISTS, `node name "${name.data}" is already registered to another node`);
        }
        const nodeId = existing?.id ?? (await this.nodes.insertJoined(tx, name.data, keyFingerprint));
        const certificatePem = this.pki.signNodeCsr(req.csrPem, name.data, nodeId);
        await this.nodes.setCertificate(tx, nodeId, keyFingerprint, certificateFingerprint(certificatePem));
        await this.tokens.recordNode(tx, claim.id, nodeId);
        await this.events.record({ nodeId, type: 'node.joined', message: `node ${name.data} joined${existing ? ' again with its key' : ''}` }, tx);
        return { nodeId, certificatePem, caPem: this.pki.caPem };
      });
    } catch (err) {
      // Two first joins of one name race past the lock (no row yet): the unique name decides.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new GatewayError(status.ALREADY_EXISTS, `node name "${name.data}" is already registered to another node`);
      }
      throw err;
    }
  }

  /** Agents send the whole token; a token for another cluster's CA is refused before it is looked up. */
  private secretOf(token: string): string {
    const parsed = parseJoinToken(token);
    if (!parsed) return token;
    if (parsed.caFingerprint !== this.pki.caFingerprint) throw new GatewayError(status.PERMISSION_DENIED, 'join token was issued by another cluster');
    return parsed.secret;
  }
}
