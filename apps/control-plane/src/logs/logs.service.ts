import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { LogEntry } from '@oja/contracts';
import type { LogChunk } from '@oja/proto';
import { Gauge, type Registry } from 'prom-client';
import { notFound } from '../api/problem';
import { METRICS_REGISTRY } from '../metrics/metrics.module';
import { LogRouter } from './log-router';
import { mergeByTime, timestampKey } from './log-merge';
import { resolveSince, selectInstance } from './log-query';
import { LogsRepository, type LogInstance } from './logs.repository';
import { notice } from './ndjson-writer';

/** How often a follow request looks for instances that started since (rollouts, scale-ups, restarts). */
export const FOLLOW_POLL_MS = 1000;
/** A follow stream that failed (agent disconnected, node unreachable) is opened again after this long. */
export const FOLLOW_RETRY_MS = 5000;
/** Without --tail, a non-follow request keeps at most this many of the newest lines per instance (it must hold them to merge). */
export const MAX_LINES_PER_INSTANCE = 50_000;

export interface LogsQuery {
  follow: boolean;
  tail?: number;
  since?: string;
  instance?: string;
}

/** A validated request: everything a 4xx could be about is checked before the first line is written. */
export interface PreparedLogs {
  deploymentId: string;
  follow: boolean;
  tail: number;
  since: string;
  instanceId?: string;
}

type Emit = (entry: LogEntry) => void;

/** One instance followed: the container it reads, where it got to, and whether it failed or ended. */
interface FollowedStream {
  containerId: string;
  /** The instance's restart count when the stream was opened. */
  restarts: number;
  openedAt: string;
  lastTs?: string;
  lastKey?: string;
  failedAt?: number;
  /** The agent ended the stream without an error: the container stopped. */
  ended?: boolean;
  cancel: () => void;
}

function toEntry(instance: LogInstance, chunk: LogChunk): LogEntry {
  return {
    ts: chunk.ts || new Date().toISOString(),
    instance: instance.id,
    node: instance.nodeName,
    stream: chunk.stream === 'stderr' ? 'stderr' : 'stdout',
    line: chunk.line,
  };
}

/**
 * A deployment's logs: one agent log request per instance (on whichever replica holds its node), merged in
 * time order when not following; when following, lines go out as they arrive and instances that appear
 * later are picked up by polling Postgres. Every agent request is cancelled when the reader goes away.
 */
@Injectable()
export class LogsService {
  private readonly logger = new Logger('LogsService');
  private readonly openStreams: Gauge;

  constructor(
    private readonly repository: LogsRepository,
    private readonly router: LogRouter,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.openStreams = new Gauge({
      name: 'oja_log_streams',
      help: 'Instance log streams this replica has open on agents (one per instance per reader)',
      registers: [registry],
    });
  }

  async prepare(tenantId: string, name: string, query: LogsQuery, now = new Date()): Promise<PreparedLogs> {
    const deploymentId = await this.repository.deploymentId(tenantId, name);
    if (!deploymentId) throw notFound(`deployment "${name}" not found`);
    const since = resolveSince(query.since, now) ?? '';
    const instanceId = query.instance === undefined ? undefined : selectInstance(await this.repository.instanceIds(deploymentId), query.instance);
    return { deploymentId, follow: query.follow, tail: query.tail ?? -1, since, instanceId };
  }

  /** Emits the logs; resolves when done (not following) or when `signal` aborts (the reader left). */
  run(logs: PreparedLogs, emit: Emit, signal: AbortSignal): Promise<void> {
    return logs.follow ? this.follow(logs, emit, signal) : this.snapshot(logs, emit, signal);
  }

  private async instances(logs: PreparedLogs): Promise<LogInstance[]> {
    const all = await this.repository.instances(logs.deploymentId);
    return logs.instanceId ? all.filter((i) => i.id === logs.instanceId) : all;
  }

  private async snapshot(logs: PreparedLogs, emit: Emit, signal: AbortSignal): Promise<void> {
    const instances = await this.instances(logs);
    const lists = await Promise.all(instances.map((instance) => this.collect(instance, logs, signal)));
    if (!signal.aborted) for (const entry of mergeByTime(lists)) emit(entry);
  }

  /** One instance's lines, in the order Docker returns them (time order), up to its end. */
  private collect(instance: LogInstance, logs: PreparedLogs, signal: AbortSignal): Promise<LogEntry[]> {
    return new Promise((resolve) => {
      const lines: LogEntry[] = [];
      let trimmed = false;
      const cancel = this.open(instance, { follow: false, tail: logs.tail, since: logs.since }, {
        onChunk: (chunk) => {
          lines.push(toEntry(instance, chunk));
          if (lines.length >= 2 * MAX_LINES_PER_INSTANCE) {
            lines.splice(0, lines.length - MAX_LINES_PER_INSTANCE);
            trimmed = true;
          }
        },
        onEnd: (error) => {
          signal.removeEventListener('abort', onAbort);
          const kept = trimmed ? lines.slice(-MAX_LINES_PER_INSTANCE) : lines;
          if (trimmed) kept.unshift({ ...notice(`older lines omitted: more than ${MAX_LINES_PER_INSTANCE}, use --tail`, { instance: instance.id, node: instance.nodeName }), ts: kept[0].ts });
          if (error) kept.push(notice(`logs unavailable: ${error}`, { instance: instance.id, node: instance.nodeName }));
          resolve(kept);
        },
      });
      const onAbort = () => {
        cancel();
        resolve([]);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async follow(logs: PreparedLogs, emit: Emit, signal: AbortSignal): Promise<void> {
    const open = new Map<string, FollowedStream>();
    let first = true;
    try {
      while (!signal.aborted) {
        if (!(await this.repository.exists(logs.deploymentId))) return; // deleted: nothing more will come
        for (const instance of await this.instances(logs)) {
          const current = open.get(instance.id);
          const sameContainer = current?.containerId === instance.containerId;
          const retry = current?.failedAt !== undefined && Date.now() - current.failedAt >= FOLLOW_RETRY_MS;
          // The agent restarts an exited container in place (same id): once it runs again, follow it again.
          const restarted = current?.ended === true && instance.up && instance.restarts > current.restarts;
          if (current && sameContainer && !retry && !restarted) continue;
          current?.cancel();
          // Same container after a failure (e.g. its agent reconnected to another replica) or a restart: go on after the
          // last line seen. Instances found after the start are new (or replaced): all their lines are new too.
          const window = current && sameContainer
            ? { tail: -1, since: current.lastTs ?? current.openedAt }
            : first ? { tail: logs.tail, since: logs.since } : { tail: -1, since: logs.since };
          open.set(instance.id, this.followOne(instance, window, current && sameContainer ? current.lastKey : undefined, emit));
        }
        first = false;
        await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      for (const { cancel } of open.values()) cancel();
    }
  }

  /** Follows one instance; when resuming, lines up to `seenKey` (already emitted) are skipped. */
  private followOne(instance: LogInstance, window: { tail: number; since: string }, seenKey: string | undefined, emit: Emit): FollowedStream {
    const stream: FollowedStream = {
      containerId: instance.containerId, restarts: instance.restarts, openedAt: new Date().toISOString(), lastKey: seenKey, cancel: () => undefined,
    };
    let skipUntil = seenKey;
    stream.cancel = this.open(instance, { follow: true, ...window }, {
      onChunk: (chunk) => {
        const entry = toEntry(instance, chunk);
        const key = timestampKey(entry.ts);
        if (skipUntil !== undefined && key <= skipUntil) return;
        skipUntil = undefined;
        stream.lastKey = key;
        stream.lastTs = entry.ts;
        emit(entry);
      },
      onEnd: (error) => {
        if (!error) {
          stream.ended = true; // the container stopped: nothing more to read unless it is restarted
          return;
        }
        stream.failedAt = Date.now();
        emit(notice(`log stream interrupted (${error}); retrying`, { instance: instance.id, node: instance.nodeName }));
      },
    });
    return stream;
  }

  /**
   * Opens one agent log request, counted in oja_log_streams until it ends or is cancelled; `onEnd` gets the
   * agent's error ('' when the stream simply finished) and is not called after a cancel.
   */
  private open(
    instance: LogInstance,
    window: { follow: boolean; tail: number; since: string },
    handlers: { onChunk(chunk: LogChunk): void; onEnd(error: string): void },
  ): () => void {
    let counted = true;
    const uncount = () => {
      if (counted) this.openStreams.dec();
      counted = false;
    };
    this.openStreams.inc();
    const cancel = this.router.open(
      instance.nodeId,
      { requestId: randomUUID(), instanceId: instance.id, timestamps: true, ...window },
      {
        onChunk: handlers.onChunk,
        onEnd: (end) => {
          if (!counted) return;
          uncount();
          if (end.error) this.logger.debug(`logs of instance ${instance.id} on ${instance.nodeName}: ${end.error}`);
          handlers.onEnd(end.error);
        },
      },
    );
    return () => {
      if (!counted) return;
      uncount();
      cancel();
    };
  }
}
