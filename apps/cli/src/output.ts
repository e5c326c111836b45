import type {
  DeploymentView,
  EventView,
  InstanceView,
  LogEntry,
  NodeView,
  RegistryCredentialView,
  RevisionView,
  TenantView,
} from '@oja/contracts';
import { stringify as toYaml } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** JSON and YAML show the API objects as they came; table uses the given formatter. */
export function render<T>(format: OutputFormat, value: T, asTable: (value: T) => string): string {
  if (format === 'json') return JSON.stringify(value, null, 2);
  if (format === 'yaml') return toYaml(value).trimEnd();
  return asTable(value);
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const NONE = '-';

/** "3s", "5m", "2h", "4d": how long ago `iso` was, as kubectl shows ages. */
export function age(iso: string | null | undefined, now: Date): string {
  if (!iso) return NONE;
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

function orNone(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? NONE : String(value);
}

export function deploymentsTable(deployments: DeploymentView[]): string {
  return table(
    ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'REVISION', 'PHASE', 'IMAGE'],
    deployments.map((d) => [
      d.name,
      `${d.status.ready}/${d.replicas}`,
      String(d.status.updated),
      String(d.status.available),
      String(d.revision),
      d.paused ? 'paused' : d.status.phase,
      d.spec.image,
    ]),
  );
}

export function instancesTable(instances: InstanceView[]): string {
  return table(
    ['INSTANCE', 'NODE', 'REVISION', 'STATE', 'HEALTHY', 'RESTARTS', 'EXIT', 'IP', 'REASON'],
    instances.map((i) => [
      shortId(i.id),
      orNone(i.node),
      String(i.revision),
      i.state,
      i.healthy ? 'yes' : 'no',
      String(i.restarts),
      orNone(i.lastExitCode),
      orNone(i.overlayIp),
      orNone(i.reason),
    ]),
  );
}

export function nodesTable(nodes: NodeView[], now: Date): string {
  return table(
    ['NAME', 'STATUS', 'ADDRESS', 'SUBNET', 'CPU', 'MEMORY', 'INSTANCES', 'DEDICATED', 'HEARTBEAT'],
    nodes.map((n) => [
      n.name,
      // A drained node that went down comes back draining: say so while it is down.
      n.status === 'down' && n.drained ? 'down (drained)' : n.status,
      n.underlayAddress,
      orNone(n.overlaySubnet),
      `${round(n.allocated.cpu)}/${round(n.capacity.cpu)}`,
      `${n.allocated.memoryMb}/${n.capacity.memoryMb}Mi`,
      String(n.instances),
      orNone(n.dedicatedTenant),
      n.lastHeartbeatAt ? `${age(n.lastHeartbeatAt, now)} ago` : NONE,
    ]),
  );
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}

export function eventsTable(events: EventView[]): string {
  return table(
    ['TIME', 'TYPE', 'DEPLOYMENT', 'NODE', 'MESSAGE'],
    events.map((e) => [e.at, e.type, orNone(e.deployment), orNone(e.node), e.message]),
  );
}

/** Events one line at a time (`get events -w`): fixed columns, since later rows are not known yet. */
const WATCH_COLUMNS = [24, 22, 20, 20];
export function eventsWatchLine(e: EventView | 'header'): string {
  const cells = e === 'header' ? ['TIME', 'TYPE', 'DEPLOYMENT', 'NODE', 'MESSAGE'] : [e.at, e.type, orNone(e.deployment), orNone(e.node), e.message];
  return cells.map((c, i) => (i < WATCH_COLUMNS.length ? c.padEnd(WATCH_COLUMNS[i]) : c)).join('  ');
}

export function revisionsTable(revisions: RevisionView[]): string {
  return table(
    ['REVISION', 'CREATED', 'IMAGE', 'CURRENT'],
    revisions.map((r) => [String(r.revision), r.createdAt, r.spec.image, r.current ? '*' : '']),
  );
}

export function tenantsTable(tenants: TenantView[]): string {
  return table(
    ['NAME', 'DEDICATED', 'QUOTA-INSTANCES', 'QUOTA-CPU', 'QUOTA-MEMORY', 'CREATED'],
    tenants.map((t) => [t.name, t.dedicated ? 'yes' : 'no', String(t.quota.instances), String(t.quota.cpu), `${t.quota.memoryMb}Mi`, t.createdAt]),
  );
}

export function registryTable(credentials: RegistryCredentialView[]): string {
  return table(
    ['NAME', 'SERVER', 'USERNAME', 'CREATED'],
    credentials.map((c) => [c.name, c.server, c.username, c.createdAt]),
  );
}

/** One progress line while waiting for a rollout, as `oja rollout status` prints it. */
export function rolloutProgress(d: DeploymentView): string {
  const s = d.status;
  return `deployment ${d.name} revision ${d.revision}: ${s.updated}/${s.desired} updated, ${s.ready} ready, ${s.available} available (${d.paused ? 'paused' : s.phase})`;
}

/** Why a rollout failed, from its conditions when the server gave one. */
export function failureReason(d: DeploymentView): string {
  const failing = d.status.conditions.find((c) => c.status === 'False' && c.message) ?? d.status.conditions.find((c) => c.message);
  return failing ? `${failing.reason}: ${failing.message}` : 'rollout failed';
}

/** `node/instance-short line`, `[stderr]` before the line when it came from stderr, the RFC 3339 time first when asked. */
export function logLine(entry: LogEntry, timestamps: boolean): string {
  const prefix = `${entry.node}/${shortId(entry.instance)}${entry.stream === 'stderr' ? ' [stderr]' : ''}`;
  return timestamps ? `${entry.ts} ${prefix} ${entry.line}` : `${prefix} ${entry.line}`;
}

/** The `oja describe deployment` page: spec summary, status, conditions, instances, recent events. */
/** Health checks shown per instance by `describe deployment` (the agent reports a few more). */
const LAST_CHECKS_SHOWN = 3;

export function describeDeployment(d: DeploymentView, instances: InstanceView[], events: EventView[]): string {
  const spec = d.spec;
  const fields: [string, string][] = [
    ['Name', d.name],
    ['Image', spec.image],
    ['Replicas', `${d.replicas} desired | ${d.status.updated} updated | ${d.status.ready} ready | ${d.status.available} available`],
    ['Revision', `${d.revision} (generation ${d.generation})`],
    ['Phase', d.paused ? `${d.status.phase} (paused)` : d.status.phase],
    ['Command', spec.command ? spec.command.join(' ') : NONE],
    ['Ports', spec.ports.length ? spec.ports.map((p) => `${p.container}${p.publish ? `→${p.publish}` : ''}/${p.protocol ?? 'tcp'}`).join(', ') : NONE],
    ['Resources', `cpu ${spec.resources.cpu}, memory ${spec.resources.memoryMb} MiB`],
    ['Health', describeHealth(spec.health)],
    [
      'Update',
      `maxSurge ${spec.update.maxSurge}, maxUnavailable ${spec.update.maxUnavailable}, minReady ${spec.update.minReadySeconds}s, ` +
        `deadline ${spec.update.progressDeadlineSeconds}s, autoRollback ${spec.update.autoRollback ? 'on' : 'off'}`,
    ],
    ['Placement', `${spec.placement.strategy}${spec.placement.constraints.length ? `; ${spec.placement.constraints.join(', ')}` : ''}`],
    ['Registry credential', orNone(spec.registryCredential)],
    ['Created', d.createdAt],
  ];
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  const sections = [fields.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}`).join('\n')];
  sections.push(
    'Conditions:\n' +
      indent(
        d.status.conditions.length
          ? table(['TYPE', 'STATUS', 'REASON', 'MESSAGE'], d.status.conditions.map((c) => [c.type, c.status, c.reason, c.message]))
          : '<none>',
      ),
  );
  sections.push('Instances:\n' + indent(instances.length ? instancesTable(instances) : '<none>'));
  const checks = instances.flatMap((i) => (i.lastChecks ?? []).slice(-LAST_CHECKS_SHOWN).map((c) => [shortId(i.id), c.at, c.ok ? 'ok' : 'fail', orNone(c.output)]));
  if (checks.length) sections.push('Last health checks:\n' + indent(table(['INSTANCE', 'TIME', 'RESULT', 'OUTPUT'], checks)));
  sections.push('Events:\n' + indent(events.length ? eventsTable(events) : '<none>'));
  return sections.join('\n\n');
}

function describeHealth(health: DeploymentView['spec']['health']): string {
  if (!health) return NONE;
  const probe = health.http ? `http GET :${health.http.port}${health.http.path}` : health.tcp ? `tcp :${health.tcp.port}` : `exec ${health.exec?.command.join(' ')}`;
  return `${probe} every ${health.intervalSeconds}s, timeout ${health.timeoutSeconds}s, ${health.failureThreshold} failures`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
