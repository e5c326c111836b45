import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { AgentGatewayService, type AgentMessage, type ControlMessage, type RenewRequest, type RenewResponse } from '@oja/proto';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import pino from 'pino';
import { CaMismatchError, certificateSha256, fetchPinnedCa } from '../identity/ca-pin';
import { CertificateRenewer } from '../identity/certificate-renewer';
import { generateNodeKeyAndCsr } from '../identity/node-key';
import { DataDir } from '../identity/store';
import { signNodeCsr, testPki, type TestPki } from '../identity/test-pki';
import type { DesiredInstance, InstanceStatusReport } from '../reconcile/types';
import { AgentConnection, type Registration } from './agent-connection';
import { Backoff } from './backoff';
import { checkControlPlaneIdentity, explainCertificateRefusal } from './credentials';
import type { LogLine, LogRequestOptions, ReconcilerPort } from './ports';

// A real gRPC server over mTLS playing the control plane, to test the agent's protocol logic.

/** Collects what agents send; lets the test drive each stream. */
class FakeControlPlane {
  readonly server = new Server();
  readonly streams: ServerDuplexStream<AgentMessage, ControlMessage>[] = [];
  /** The DER of the client certificate each stream was opened with, in order. */
  readonly streamCertificates: Buffer[] = [];
  /** Streams the agent half-closed. */
  readonly ended: ServerDuplexStream<AgentMessage, ControlMessage>[] = [];
  readonly received: AgentMessage[] = [];
  /** Every Renew call: its CSR and the DER of the client certificate it was made with. */
  readonly renewals: { csrPem: string; certificate: Buffer }[] = [];
  /** Answers Renew (a thrown error becomes its status). */
  renew: (csrPem: string) => string = () => {
    throw Object.assign(new Error('not in this test'), { code: status.UNIMPLEMENTED });
  };
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(private readonly tls: TestPki) {
    this.server.addService(AgentGatewayService, {
      join: (_call: unknown, callback: (err: Error) => void) => callback(new Error('not in this test')),
      renew: (call: ServerUnaryCall<RenewRequest, RenewResponse>, callback: sendUnaryData<RenewResponse>) => {
        this.renewals.push({ csrPem: call.request.csrPem, certificate: call.getAuthContext().sslPeerCertificate!.raw });
        try {
          callback(null, { certificatePem: this.renew(call.request.csrPem) });
        } catch (err) {
          callback(err as ServiceError);
        }
        this.waiters.forEach((w) => w());
      },
      connect: (call: ServerDuplexStream<AgentMessage, ControlMessage>) => {
        this.streams.push(call);
        this.streamCertificates.push(call.getAuthContext().sslPeerCertificate!.raw);
        call.on('data', (m: AgentMessage) => {
          this.received.push(m);
          this.waiters.forEach((w) => w());
        });
        call.on('error', () => undefined);
        call.on('end', () => {
          this.ended.push(call);
          call.end();
          this.waiters.forEach((w) => w());
        });
        this.waiters.forEach((w) => w());
      },
    });
  }

  async listen(): Promise<void> {
    const credentials = ServerCredentials.createSsl(
      Buffer.from(this.tls.caPem),
      [{ private_key: Buffer.from(this.tls.server.keyPem), cert_chain: Buffer.from(this.tls.server.certPem + this.tls.caPem) }],
      true,
    );
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  of<K extends NonNullable<AgentMessage['kind']>['$case']>(kind: K) {
    return this.received.flatMap((m) => (m.kind?.$case === kind ? [m.kind.value as Extract<NonNullable<AgentMessage['kind']>, { $case: K }>['value']] : []));
  }

  /** Resolves once the predicate holds (re-checked on every message, new or ended stream, and renewal). */
  until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) {
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve();
        }
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Ends a call with an error status, as a control plane going away (or refusing the node) would. */
  drop(stream: ServerDuplexStream<AgentMessage, ControlMessage>, code = status.UNAVAILABLE, details = 'going away'): void {
    stream.emit('error', { code, details });
  }

  send(message: ControlMessage, stream = this.streams[this.streams.length - 1]): void {
    stream.write(message);
  }
}

class FakeReconciler implements ReconcilerPort {
  readonly applied: { generation: number; instances: DesiredInstance[] }[] = [];
  listener: ((r: InstanceStatusReport) => void) | undefined;
  reports: InstanceStatusReport[] = [
    { id: 'adopted-1', state: 'running', containerId: 'c1', overlayIp: null, healthy: true, restarts: 0, exitCode: null, reason: null },
  ];
  apply(generation: number, instances: DesiredInstance[]): void {
    this.applied.push({ generation, instances });
  }
  onStatus(listener: (r: InstanceStatusReport) => void): void {
    this.listener = listener;
  }
  observed(): InstanceStatusReport[] {
    return this.reports;
  }
}

const registration: Registration = {
  nodeName: 'node-1',
  capacity: { cpu: 2, memoryMb: 2048 },
  labels: { zone: 'a' },
  underlayAddress: '192.168.77.11',
  wgPublicKey: '',
  wgListenPort: 0,
  agentVersion: '0.1.0',
};

describe('AgentConnection over real gRPC', () => {
  const tls = testPki();
  let cp: FakeControlPlane;
  let reconciler: FakeReconciler;
  let connection: AgentConnection;
  let logCalls: { instanceId: string; options: LogRequestOptions; signal: AbortSignal }[];

  beforeEach(async () => {
    cp = new FakeControlPlane(tls);
    await cp.listen();
    reconciler = new FakeReconciler();
    logCalls = [];
    connection = new AgentConnection({
      address: `127.0.0.1:${cp.port}`,
      node: tls.node,
      reconciler,
      registration: () => registration,
      streamLogs: async (instanceId, options, onLine: (l: LogLine) => void | Promise<void>, signal) => {
        logCalls.push({ instanceId, options, signal });
        await onLine({ stream: 'stdout', ts: '2026-11-23T18:00:00.000000001Z', line: 'hello' });
        await onLine({ stream: 'stderr', ts: null, line: 'oops' });
        if (options.follow) await new Promise((resolve) => signal.addEventListener('abort', resolve));
      },
      log: pino({ level: 'silent' }),
      backoff: new Backoff({ initialMs: 20, maxMs: 100, jitter: 0.5 }),
    });
    connection.start();
  });

  afterEach(async () => {
    await connection.stop();
    cp.server.forceShutdown();
  });

  it('registers first, with the instances it already runs', async () => {
    await cp.until(() => cp.received.length > 0);
    expect(cp.received[0].kind?.$case).toBe('register');
    expect(cp.of('register')[0]).toMatchObject({
      ...registration,
      instances: [{ instanceId: 'adopted-1', state: 'running', containerId: 'c1', healthy: true, exitCode: -1 }],
    });
  });

  it('applies desired states in order, acknowledges them and reports the generation in heartbeats', async () => {
    await cp.until(() => cp.streams.length === 1);
    cp.send({ kind: { $case: 'registered', value: { nodeId: 'n-1', overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [], heartbeatIntervalSeconds: 1 } } });
    const instance = {
      id: 'i-1', tenant: 'acme', deployment: 'web', revision: 1, image: 'oja/busybox:1', command: ['httpd'], env: {}, ports: [],
      resources: { cpu: 0.1, memoryMb: 64 }, health: undefined, capabilities: [], stopGracePeriodSeconds: 5, registryAuth: undefined,
    };
    cp.send({ kind: { $case: 'desiredState', value: { generation: 4, instances: [instance] } } });
    cp.send({ kind: { $case: 'desiredState', value: { generation: 5, instances: [] } } });
    await cp.until(() => cp.of('desiredStateAck').length === 2);
    expect(cp.of('desiredStateAck').map((a) => a.generation)).toEqual([4, 5]);
    expect(reconciler.applied.map((a) => a.generation)).toEqual([4, 5]);
    expect(reconciler.applied[0].instances[0]).toMatchObject({ id: 'i-1', command: ['httpd'], resources: { cpu: 0.1, memoryMb: 64 } });
    await cp.until(() => cp.of('heartbeat').some((h) => h.observedGeneration === 5));
    expect(cp.of('heartbeat').at(-1)).toEqual({ observedGeneration: 5, runningContainers: 1 });
    expect(connection.cluster).toEqual({ nodeId: 'n-1', overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [] });
  });

  it('forwards every reconciler status with the time it was observed', async () => {
    await cp.until(() => cp.of('register').length === 1);
    reconciler.listener!({ id: 'i-9', state: 'failed', containerId: null, overlayIp: null, healthy: false, restarts: 0, exitCode: null, reason: 'image not found: nope:1' });
    await cp.until(() => cp.of('instanceStatus').length === 1);
    const sent = cp.of('instanceStatus')[0];
    expect(sent).toMatchObject({ instanceId: 'i-9', state: 'failed', reason: 'image not found: nope:1' });
    expect(Number.isNaN(Date.parse(sent.at))).toBe(false);
  });

  it('reconnects and registers again when the control plane drops the stream', async () => {
    await cp.until(() => cp.of('register').length === 1);
    cp.drop(cp.streams[0]);
    await cp.until(() => cp.of('register').length === 2);
    expect(cp.streams).toHaveLength(2);
    expect(cp.of('register')[1].nodeName).toBe('node-1');
  });

  it('reconnects after the whole control plane went away and came back on the same port', async () => {
    await cp.until(() => cp.of('register').length === 1);
    const port = cp.port;
    cp.server.forceShutdown();
    await new Promise((resolve) => connection.once('disconnected', resolve));
    const next = new FakeControlPlane(tls);
    await new Promise<void>((resolve, reject) =>
      next.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createSsl(Buffer.from(tls.caPem), [{ private_key: Buffer.from(tls.server.keyPem), cert_chain: Buffer.from(tls.server.certPem) }], true), (err) => (err ? reject(err) : resolve())),
    );
    try {
      await next.until(() => next.of('register').length === 1);
      expect(next.of('register')[0].instances.map((i) => i.instanceId)).toEqual(['adopted-1']);
    } finally {
      await connection.stop();
      next.server.forceShutdown();
    }
  });

  it('opens a new stream when the control plane never answers Register', async () => {
    await connection.stop();
    connection = new AgentConnection({
      address: `127.0.0.1:${cp.port}`,
      node: tls.node,
      reconciler,
      registration: () => registration,
      streamLogs: async () => undefined,
      log: pino({ level: 'silent' }),
      backoff: new Backoff({ initialMs: 20, maxMs: 100, jitter: 0.5 }),
      registerTimeoutMs: 200,
    });
    const before = cp.of('register').length;
    connection.start();
    await cp.until(() => cp.of('register').length >= before + 2);
    cp.send({ kind: { $case: 'registered', value: { nodeId: 'n-1', overlaySubnet: '', overlayCidr: '', peers: [], heartbeatIntervalSeconds: 1 } } });
    await cp.until(() => cp.of('heartbeat').length > 0);
    const registrations = cp.of('register').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cp.of('register')).toHaveLength(registrations);
  });

  it('streams log lines then LogEnd for a finite request', async () => {
    await cp.until(() => cp.streams.length === 1);
    cp.send({ kind: { $case: 'logRequest', value: { requestId: 'r1', instanceId: 'i-1', follow: false, tail: 10, since: '', timestamps: true } } });
    await cp.until(() => cp.of('logEnd').length === 1);
    expect(logCalls[0]).toMatchObject({ instanceId: 'i-1', options: { follow: false, tail: 10, since: undefined, timestamps: true } });
    expect(cp.of('logChunk')).toEqual([
      { requestId: 'r1', instanceId: 'i-1', stream: 'stdout', ts: '2026-11-23T18:00:00.000000001Z', line: 'hello' },
      { requestId: 'r1', instanceId: 'i-1', stream: 'stderr', ts: '', line: 'oops' },
    ]);
    expect(cp.of('logEnd')[0]).toEqual({ requestId: 'r1', instanceId: 'i-1', error: '' });
  });

  it('reports a bad request as LogEnd with an error', async () => {
    await cp.until(() => cp.streams.length === 1);
    cp.send({ kind: { $case: 'logRequest', value: { requestId: 'r2', instanceId: 'i-1', follow: false, tail: -1, since: 'yesterday', timestamps: false } } });
    await cp.until(() => cp.of('logEnd').length === 1);
    expect(cp.of('logEnd')[0].error).toContain('since "yesterday" is not an RFC 3339 time');
  });

  it('aborts a following log stream on LogCancel and all of them when the stream drops', async () => {
    await cp.until(() => cp.streams.length === 1);
    cp.send({ kind: { $case: 'logRequest', value: { requestId: 'a', instanceId: 'i-1', follow: true, tail: -1, since: '', timestamps: false } } });
    cp.send({ kind: { $case: 'logRequest', value: { requestId: 'b', instanceId: 'i-2', follow: true, tail: -1, since: '', timestamps: false } } });
    await cp.until(() => cp.of('logChunk').length === 4);
    expect(logCalls.map((c) => c.options.tail)).toEqual([undefined, undefined]);
    cp.send({ kind: { $case: 'logCancel', value: { requestId: 'a' } } });
    await new Promise<void>((resolve) => logCalls[0].signal.addEventListener('abort', () => resolve()));
    expect(logCalls[1].signal.aborted).toBe(false);
    cp.drop(cp.streams[0]);
    await new Promise<void>((resolve) => (logCalls[1].signal.aborted ? resolve() : logCalls[1].signal.addEventListener('abort', () => resolve())));
    expect(cp.of('logEnd')).toEqual([]);
  });
});

describe('control plane identity', () => {
  const tls = testPki();

  it('accepts only a certificate named oja-control-plane', () => {
    expect(checkControlPlaneIdentity('10.0.0.1', { subject: { CN: 'oja-control-plane' } } as never)).toBeUndefined();
    expect(checkControlPlaneIdentity('10.0.0.1', { subject: { CN: 'evil' } } as never)?.message).toBe(
      'the server certificate is for "evil", not oja-control-plane',
    );
  });

  it('finds the CA the token pins in the presented chain, and refuses another', async () => {
    const cp = new FakeControlPlane(tls);
    await cp.listen();
    try {
      const caDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(tls.caPem))).getBytes(), 'binary');
      const pinned = await fetchPinnedCa({ host: '127.0.0.1', port: cp.port }, certificateSha256(caDer));
      expect(pinned.replace(/\r/g, '').trim()).toBe(tls.caPem.replace(/\r/g, '').trim());
      await expect(fetchPinnedCa({ host: '127.0.0.1', port: cp.port }, 'f'.repeat(64))).rejects.toThrow(CaMismatchError);
      await expect(fetchPinnedCa({ host: '127.0.0.1', port: cp.port }, 'f'.repeat(64))).rejects.toThrow('control plane CA does not match the join token');
    } finally {
      cp.server.forceShutdown();
    }
  });

  it('explains a refused node certificate from its own files: expired here, or valid here and no longer accepted', async () => {
    const cp = new FakeControlPlane(tls);
    await cp.listen();
    const logged: { level: number; msg: string; code?: string; details?: string; certificate?: string }[] = [];
    // The test certificate is valid for an hour: two hours on, the agent finds it expired.
    const later = new Date(Date.now() + 2 * 3600_000);
    const connection = new AgentConnection({
      address: `127.0.0.1:${cp.port}`,
      node: tls.node,
      reconciler: new FakeReconciler(),
      registration: () => registration,
      streamLogs: async () => undefined,
      log: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
      backoff: new Backoff({ initialMs: 20, maxMs: 100, jitter: 0.5 }),
      clock: () => later,
    });
    connection.start();
    try {
      await cp.until(() => cp.streams.length === 1);
      cp.drop(cp.streams[0], status.UNAUTHENTICATED, 'no client certificate that verifies');
      await cp.until(() => cp.streams.length === 2);
      const refusal = logged.find((l) => l.code === 'UNAUTHENTICATED');
      expect(refusal).toMatchObject({ level: 50, msg: 'control plane stream closed; reconnecting', details: 'no client certificate that verifies' });
      expect(refusal?.certificate).toMatch(/^this node's certificate cannot be used: it expired at .*; remove the node and join it again/);
    } finally {
      await connection.stop();
      cp.server.forceShutdown();
    }
    expect(explainCertificateRefusal({ certificatePem: tls.node.certificatePem, caPem: tls.caPem }, new Date())).toMatch(
      /^this node's certificate is valid here, so the control plane no longer accepts it/,
    );
  });
});

describe('certificate renewal', () => {
  // The node's certificate has 10 of its 60 minutes left: inside the renewal window from the start.
  const tls = testPki({ notBefore: new Date(Date.now() - 50 * 60_000), notAfter: new Date(Date.now() + 10 * 60_000) });
  const der = (pem: string) => new X509Certificate(pem).raw;
  let root: string;
  let dataDir: DataDir;
  let cp: FakeControlPlane;
  let connection: AgentConnection;
  let renewer: CertificateRenewer;
  let logged: { level: number; msg: string; err?: string; retryInMs?: number; expiresAt?: string }[];

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'oja-agent-renewal-'));
    dataDir = new DataDir(join(root, 'agent'));
    await dataDir.ensure();
    await dataDir.saveCredentials(tls.node);
    cp = new FakeControlPlane(tls);
    await cp.listen();
    logged = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const backoff = () => new Backoff({ initialMs: 20, maxMs: 100, jitter: 0.5 });
    const address = `127.0.0.1:${cp.port}`;
    connection = new AgentConnection({ address, node: tls.node, reconciler: new FakeReconciler(), registration: () => registration, streamLogs: async () => undefined, log, backoff: backoff() });
    // Wired as main wires them.
    renewer = new CertificateRenewer({
      address, nodeName: 'node-1', credentials: tls.node, dataDir, onRenewed: (renewed) => connection.useCredentials(renewed), log, backoff: backoff(),
    });
    connection.start();
    await cp.until(() => cp.streams.length === 1);
  });

  afterEach(async () => {
    await renewer.stop();
    await connection.stop();
    cp.server.forceShutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('renews at start-up when due, for the same key, saves node.crt (0600) and reconnects with the new certificate', async () => {
    let issued = '';
    cp.renew = (csrPem) => (issued = signNodeCsr(tls, csrPem, 'node-1'));
    renewer.start();
    await cp.until(() => cp.of('register').length === 2);

    expect(cp.renewals).toHaveLength(1);
    expect(cp.renewals[0].certificate).toEqual(der(tls.node.certificatePem));
    const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
    expect(spki(forge.pki.publicKeyToPem(forge.pki.certificationRequestFromPem(cp.renewals[0].csrPem).publicKey!))).toEqual(spki(tls.node.keyPem));

    expect(await dataDir.loadCredentials()).toEqual({ ...tls.node, certificatePem: issued });
    expect(statSync(dataDir.file('node.crt')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir.path).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);

    // The old stream was closed by the agent and the new one opened with the renewed certificate.
    expect(cp.streamCertificates).toEqual([der(tls.node.certificatePem), der(issued)]);
    await cp.until(() => cp.ended.length === 1);
    expect(cp.ended).toEqual([cp.streams[0]]);
    expect(logged.map((l) => l.msg)).toEqual(expect.arrayContaining(['node certificate renewed', 'reconnecting with the renewed node certificate']));
  });

  it('retries a failed renewal with backoff and logs it; the current certificate stays in use meanwhile', async () => {
    const onDisk: string[] = [];
    const answers = [
      () => {
        throw Object.assign(new Error('control plane unavailable, retry'), { code: status.UNAVAILABLE });
      },
      // A certificate for another key would leave the node unable to connect: it is not saved.
      () => signNodeCsr(tls, generateNodeKeyAndCsr('node-1').csrPem, 'node-1'),
      (csrPem: string) => signNodeCsr(tls, csrPem, 'node-1'),
    ];
    cp.renew = (csrPem) => {
      onDisk.push(readFileSync(dataDir.file('node.crt'), 'utf8'));
      return answers[cp.renewals.length - 1](csrPem);
    };
    renewer.start();
    await cp.until(() => cp.of('register').length === 2);

    expect(cp.renewals).toHaveLength(3);
    expect(cp.renewals.map((r) => r.certificate)).toEqual(Array(3).fill(der(tls.node.certificatePem)));
    expect(onDisk).toEqual(Array(3).fill(tls.node.certificatePem));
    expect(cp.streamCertificates).toHaveLength(2);
    const failures = logged.filter((l) => l.msg === 'node certificate renewal failed; retrying');
    expect(failures).toEqual([
      expect.objectContaining({ level: 40, err: expect.stringContaining('UNAVAILABLE: control plane unavailable, retry'), retryInMs: expect.any(Number) }),
      expect.objectContaining({ level: 40, err: "the control plane answered a certificate this node cannot use: it is not for this node's key" }),
    ]);
    expect(failures[0].expiresAt).toBe(new Date(new X509Certificate(tls.node.certificatePem).validTo).toISOString());
  });
});
