import { join } from 'node:path';
import type { Logger } from 'pino';
import { RoutingMesh } from './mesh';

/**
 * Starts the node's routing mesh. Settings from the environment: OJA_MESH_BIND_ADDRESS (default 0.0.0.0, every
 * address of the node), OJA_RUN_DIR (default /run/oja; sockets go to <run dir>/mesh-<node id>), OJA_HAPROXY (the
 * binary, default haproxy). Without a working HAProxy the agent still runs containers: it logs why and goes on
 * without a mesh.
 */
export async function startMesh(opts: { dataDir: string; nodeId: string; log: Logger; env?: NodeJS.ProcessEnv }): Promise<RoutingMesh | null> {
  const env = opts.env ?? process.env;
  const mesh = new RoutingMesh({
    dataDir: opts.dataDir,
    socketDir: join(env.OJA_RUN_DIR || '/run/oja', `mesh-${opts.nodeId}`),
    bindAddress: env.OJA_MESH_BIND_ADDRESS || '0.0.0.0',
    haproxyBinary: env.OJA_HAPROXY || 'haproxy',
    log: { info: (m) => opts.log.info(m), warn: (m) => opts.log.warn(m) },
  });
  try {
    await mesh.start();
    return mesh;
  } catch (err) {
    opts.log.error({ err: (err as Error).message }, 'routing mesh not started (HAProxy); published ports will not answer on this node');
    await mesh.stop().catch(() => undefined);
    return null;
  }
}
