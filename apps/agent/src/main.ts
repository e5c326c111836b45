import { readFileSync } from 'node:fs';
import { cpus, networkInterfaces, totalmem } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { parseFlags, parseHostPort } from './config/flags';
import { effectiveSettings, mergeSettings, planStart, type SavedIdentity } from './config/settings';
import type { Peer, Routes, TenantAddressSet } from '@oja/proto';
import { AgentConnection, type ClusterView } from './connection/agent-connection';
import { CertificateRenewer } from './identity/certificate-renewer';
import { joinWithRetry } from './identity/join';
import { DataDir, type NodeCredentials } from './identity/store';
import { LogStreamer } from './logs/log-streamer';
import { meshRoutesFromProto } from './mesh/from-proto';
import { startMesh } from './mesh/start-mesh';
import { AgentMetrics } from './metrics/agent-metrics';
import { dockerUsage, registerContainerUsageMetrics } from './metrics/container-usage';
import { serveMetrics, type MetricsServer } from './metrics/serve-metrics';
import { Reconciler } from './reconcile/reconciler';
import { Overlay } from './network/overlay';
import { registerOverlayMetrics } from './network/overlay-metrics';
import { DOCKER_API_VERSION, DockerRuntime } from './runtime/docker-runtime';

/** apps/agent/package.json, one level above both src/ and dist/. */
function agentVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const version = agentVersion();
  const flags = parseFlags(process.argv, version);
  const log = pino({ name: 'oja-agent', base: { pid: process.pid } });
  const shutdown = new AbortController();
  let stopAgent: (() => Promise<void>) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down; containers keep running');
    shutdown.abort();
    void (stopAgent?.() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  try {
    const dataDir = new DataDir(flags.dataDir);
    await dataDir.ensure();
    const plan = planStart(flags, await dataDir.loadIdentity());
    plan.warnings.forEach((w) => log.warn(w));
    const saved = mergeSettings(flags, await dataDir.loadSettings());
    const settings = effectiveSettings(saved, { cpus: cpus().length, memoryMb: Math.floor(totalmem() / 2 ** 20), interfaces: networkInterfaces() });
    await dataDir.saveSettings(saved);

    let identity: SavedIdentity;
    let credentials: NodeCredentials;
    if (plan.kind === 'join') {
      ({ identity, credentials } = await joinWithRetry(plan, dataDir, log, shutdown.signal));
    } else {
      identity = plan.identity;
      credentials = await dataDir.loadCredentials();
      await dataDir.saveIdentity(identity);
    }
    if (shutdown.signal.aborted) return;

    const metrics = new AgentMetrics();
    const docker = new Docker({ version: DOCKER_API_VERSION });
    const runtime = new DockerRuntime(docker, metrics);
    registerContainerUsageMetrics(metrics.registry, dockerUsage(docker, identity.nodeName));
    // The overlay saved by the last run comes up first, so adopted and new containers find the `oja` network.
    const overlay = settings.overlay ? await Overlay.create({ dataDir: dataDir.path, listenPort: settings.wgPort, docker, log }) : undefined;
    if (overlay) registerOverlayMetrics(metrics.registry, overlay);
    await overlay?.restore();
    const mesh = await startMesh({ dataDir: dataDir.path, nodeId: identity.nodeId, log });
    const reconciler = new Reconciler({
      runtime, node: identity.nodeName, metrics, logger: { warn: (m: string) => log.warn(m) },
      beforeStop: mesh ? (instanceId, _containerId, graceSeconds) => mesh.drain(instanceId, graceSeconds) : undefined,
    });
    const logs = new LogStreamer(runtime, (id) => reconciler.containerIdOf(id), metrics);
    await reconciler.start();
    const metricsServer: MetricsServer | undefined = settings.metricsAddr
      ? await serveMetrics(metrics.registry, parseHostPort(settings.metricsAddr))
      : undefined;

    const connection = new AgentConnection({
      address: identity.controlPlane,
      node: credentials,
      reconciler,
      streamLogs: (id, options, onLine, signal) => logs.streamLogs(id, options, onLine, signal),
      registration: () => ({
        nodeName: identity.nodeName,
        capacity: settings.capacity,
        labels: settings.labels,
        underlayAddress: settings.advertiseAddress,
        wgPublicKey: overlay?.publicKey ?? '',
        wgListenPort: overlay?.listenPort ?? 0,
        agentVersion: version,
      }),
      log,
      network: () => overlay?.network(),
    });
    if (overlay) {
      connection.on('registered', (view: ClusterView) => void overlay.up(view));
      connection.on('peers', (peers: Peer[]) => void overlay.setPeers(peers));
      connection.on('tenantAddresses', (tenants: TenantAddressSet[]) => void overlay.setTenantAddresses(tenants));
    }
    if (mesh) connection.on('routes', (routes: Routes) => void mesh.setRoutes(routes.generation, meshRoutesFromProto(routes.routes)));
    const renewer = new CertificateRenewer({
      address: identity.controlPlane,
      nodeName: identity.nodeName,
      credentials,
      dataDir,
      onRenewed: (renewed) => connection.useCredentials(renewed),
      log,
    });
    stopAgent = async () => {
      await renewer.stop();
      await connection.stop();
      await reconciler.stop();
      await mesh?.stop();
      await metricsServer?.close();
    };
    if (shutdown.signal.aborted) return void (await stopAgent());
    connection.start();
    renewer.start();
    log.info(
      { node: identity.nodeName, nodeId: identity.nodeId, controlPlane: identity.controlPlane, metrics: settings.metricsAddr, version },
      'agent started',
    );
  } catch (err) {
    if (shutdown.signal.aborted) return;
    log.fatal((err as Error).message);
    // pino writes synchronously to stdout; exit only after the message is out.
    process.exit(1);
  }
}

void main();
