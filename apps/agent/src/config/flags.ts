import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_WG_PORT } from '../network/address-plan';

/** The command line as given: every field is optional except the data dir (it has a default). */
export interface AgentFlags {
  join?: string;
  token?: string;
  name?: string;
  advertiseAddress?: string;
  dataDir: string;
  labels?: Record<string, string>;
  metricsAddr?: string;
  capacityCpu?: number;
  capacityMemoryMb?: number;
  wgPort?: number;
  /** false with --no-overlay, true with --overlay, absent when neither was given. */
  overlay?: boolean;
}

export const DEFAULT_DATA_DIR = '/var/lib/oja/agent';

/** `HOST:PORT` (IPv6 hosts in brackets), as used by --join and --metrics-addr. */
export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(value: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new InvalidArgumentError(`"${value}" is not HOST:PORT`);
  return { host: match[1] ?? match[2], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const LABEL_KEY = /^[A-Za-z0-9_.\-/]{1,63}$/;
const LABEL_VALUE = /^[A-Za-z0-9_.-]{0,63}$/;

/** `zone=a,disk=ssd` → `{zone: 'a', disk: 'ssd'}`; keys and values as the placement constraints accept them. */
export function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const val = eq < 0 ? '' : pair.slice(eq + 1);
    if (eq < 0 || !LABEL_KEY.test(key)) throw new InvalidArgumentError(`label "${pair}" must look like key=value`);
    if (!LABEL_VALUE.test(val)) throw new InvalidArgumentError(`label value "${val}" may hold only letters, digits, ".", "_", "-"`);
    if (key in labels) throw new InvalidArgumentError(`label "${key}" is given twice`);
    labels[key] = val;
  }
  return labels;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

function port(value: string): number {
  const n = positiveInteger(value);
  if (n > 65535) throw new InvalidArgumentError(`"${value}" is not a port (1-65535)`);
  return n;
}

function ipv4(value: string): string {
  const parts = value.split('.');
  const ok = parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  if (!ok) throw new InvalidArgumentError(`"${value}" is not an IPv4 address`);
  return value;
}

function hostPort(value: string): string {
  return formatHostPort(parseHostPort(value));
}

export function agentCommand(version: string): Command {
  return new Command('oja-agent')
    .description('oja node agent: joins a control plane and runs its containers with the local Docker engine')
    .version(version)
    .option('--join <host:port>', 'control plane gRPC address (first start; later it is read from the data dir)', hostPort)
    .option('--token <token>', 'one-time join token from `oja join-token` (first start only)')
    .option('--name <node>', 'node name (first start; later it must match the saved identity)')
    .option('--advertise-address <ip>', 'underlay IPv4 address other nodes reach this one at', ipv4)
    .option('--data-dir <dir>', 'where the node key, certificates and settings live', DEFAULT_DATA_DIR)
    .option('--labels <k=v,...>', 'node labels for placement constraints', parseLabels)
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics here', hostPort)
    .option('--capacity-cpu <n>', 'CPUs offered to the scheduler (default: all)', positiveNumber)
    .option('--capacity-memory-mb <n>', 'memory offered to the scheduler in MiB (default: all)', positiveInteger)
    .option('--wg-port <port>', `UDP port of the WireGuard overlay interface (default ${DEFAULT_WG_PORT})`, port)
    .option('--overlay', 'run the WireGuard overlay network (the default)')
    .option('--no-overlay', "run without the overlay: containers use the engine's default bridge (a single host, or no WireGuard)");
}

/** Parses argv (as process.argv: node, script, args…); commander prints usage errors and exits 1. */
export function parseFlags(argv: string[], version: string): AgentFlags {
  const command = agentCommand(version).parse(argv);
  return command.opts<AgentFlags>();
}
