import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AgentGatewayClient, type JoinResponse } from '@oja/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { parseHostPort } from '../config/flags';
import { ConfigError, type SavedIdentity } from '../config/settings';
import { Backoff } from '../connection/backoff';
import { CONTROL_PLANE_CHANNEL_OPTIONS, controlPlaneCredentials } from '../connection/credentials';
import { CaMismatchError, fetchPinnedCa } from './ca-pin';
import type { JoinToken } from './join-token';
import { generateNodeKeyAndCsr } from './node-key';
import type { DataDir, NodeCredentials } from './store';

/** The control plane said no (bad, used or expired token; name taken): retrying cannot help. */
export class JoinRefusedError extends Error {}

const REFUSALS = new Set<number>([
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.ALREADY_EXISTS,
  status.INVALID_ARGUMENT,
  status.FAILED_PRECONDITION,
]);

export interface JoinRequestPlan {
  controlPlane: string;
  token: JoinToken;
  nodeName: string;
}

/**
 * Join: pin the control plane's CA by the token's hash, send the secret and a CSR for a key made here, and save the
 * signed certificate, the CA and the node id in the data dir.
 */
export async function joinCluster(plan: JoinRequestPlan, dataDir: DataDir): Promise<{ identity: SavedIdentity; credentials: NodeCredentials }> {
  const caPem = await fetchPinnedCa(parseHostPort(plan.controlPlane), plan.token.caSha256);
  const { keyPem, csrPem } = generateNodeKeyAndCsr(plan.nodeName);
  const client = new AgentGatewayClient(plan.controlPlane, controlPlaneCredentials(caPem), CONTROL_PLANE_CHANNEL_OPTIONS);
  let response: JoinResponse;
  try {
    response = await new Promise<JoinResponse>((resolve, reject) =>
      client.join(
        { token: plan.token.secret, nodeName: plan.nodeName, csrPem },
        new Metadata(),
        { deadline: Date.now() + 30_000 },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  } catch (err) {
    const e = err as ServiceError;
    if (REFUSALS.has(e.code)) throw new JoinRefusedError(`the control plane refused to join this node: ${e.details || e.message}`);
    throw err;
  } finally {
    client.close();
  }
  const credentials: NodeCredentials = { keyPem, certificatePem: response.certificatePem, caPem: response.caPem || caPem };
  const identity: SavedIdentity = { nodeId: response.nodeId, nodeName: plan.nodeName, controlPlane: plan.controlPlane };
  await dataDir.saveCredentials(credentials);
  await dataDir.saveIdentity(identity);
  return { identity, credentials };
}

/** Errors after which retrying cannot help: the agent exits 1 with the message. */
export function isFatalJoinError(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof JoinRefusedError || err instanceof CaMismatchError;
}

/** Joins, retrying with backoff only while the control plane is unreachable; a refusal or a CA mismatch is thrown. */
export async function joinWithRetry(plan: JoinRequestPlan, dataDir: DataDir, log: Logger, signal: AbortSignal) {
  const backoff = new Backoff();
  for (;;) {
    try {
      const joined = await joinCluster(plan, dataDir);
      log.info({ nodeId: joined.identity.nodeId, node: joined.identity.nodeName }, 'joined the cluster');
      return joined;
    } catch (err) {
      if (isFatalJoinError(err) || signal.aborted) throw err;
      const retryInMs = backoff.next();
      log.warn({ controlPlane: plan.controlPlane, err: (err as Error).message, retryInMs }, 'join failed; retrying');
      await sleep(retryInMs, undefined, { signal });
    }
  }
}
