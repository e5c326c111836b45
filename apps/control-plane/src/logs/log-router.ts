import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { LogChunk, LogEnd, LogRequest } from '@oja/proto';
import { Redis } from 'ioredis';
import { withTimeout } from '../api/unavailable';
import { CONFIG, type Config } from '../config/config';
import { AgentSessions } from '../gateway/agent-sessions.service';
import type { LogHandlers } from '../gateway/agent-session';
import { redisOptionsFromUrl } from '../queue/redis-options';

/** How long a replica waits for the replica holding a node's stream to take a log request over Redis. */
export const RELAY_ACK_TIMEOUT_MS = 3000;
const SUBSCRIBE_TIMEOUT_MS = 3000;

/** Messages on `<prefix>:logs:node:<nodeId>`, heard by every replica; only the one holding the node's stream acts. */
type NodeMessage = { op: 'open'; request: LogRequest; replyTo: string } | { op: 'cancel'; requestId: string };
/** Messages on a request's reply channel, from the serving replica to the asking one. */
type ReplyMessage = { t: 'ack' } | { t: 'chunk'; chunk: LogChunk } | { t: 'end'; end: LogEnd };

/**
 * Opens log requests on whichever control-plane replica holds the node's agent stream: directly when it is
 * this one, else through Redis pub/sub (request on the node's logs channel, lines back on a per-request
 * channel). Pub/sub has no backpressure: the asking side bounds what it buffers (see NdjsonWriter).
 * The serving side cancels the agent's stream when a reply reaches no subscriber (the asker went away).
 */
@Injectable()
export class LogRouter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LogRouter');
  private subscriber?: Redis;
  private publisher?: Redis;
  /** Requests this replica asked another replica for, by reply channel. */
  private readonly asked = new Map<string, (message: ReplyMessage) => void>();
  /** Requests this replica serves for another replica: request id → cancel. */
  private readonly served = new Map<string, () => void>();

  constructor(
    private readonly sessions: AgentSessions,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  private get nodePattern(): string {
    return `${this.config.queuePrefix}:logs:node:`;
  }

  async onModuleInit(): Promise<void> {
    const options = { ...redisOptionsFromUrl(this.config.redisUrl), lazyConnect: true, retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000) };
    const subscriber = new Redis(options);
    const publisher = new Redis(options);
    this.subscriber = subscriber;
    this.publisher = publisher;
    for (const r of [subscriber, publisher]) r.on('error', (err: Error) => this.logger.warn(`log relay: ${err.message}`));
    subscriber.on('pmessage', (_pattern: string, channel: string, payload: string) => this.onNodeMessage(channel.slice(this.nodePattern.length), payload));
    subscriber.on('message', (channel: string, payload: string) => this.asked.get(channel)?.(JSON.parse(payload) as ReplyMessage));
    const ready = Promise.all([publisher.connect(), subscriber.connect().then(() => subscriber.psubscribe(`${this.nodePattern}*`))]);
    // Without Redis, logs of nodes held by this replica still work.
    await withTimeout(ready, SUBSCRIBE_TIMEOUT_MS, 'redis (log relay)').catch((err: Error) => this.logger.warn(err.message));
  }

  onApplicationShutdown(): void {
    for (const cancel of this.served.values()) cancel();
    this.served.clear();
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  /** Starts a log request on the node; returns its cancel function. The handlers' onEnd runs exactly once unless cancelled. */
  open(nodeId: string, request: LogRequest, handlers: LogHandlers): () => void {
    const local = this.sessions.requestLogs(nodeId, request, handlers);
    return local ?? this.openRemote(nodeId, request, handlers);
  }

  private openRemote(nodeId: string, request: LogRequest, handlers: LogHandlers): () => void {
    const replyTo = `${this.config.queuePrefix}:logs:reply:${request.requestId}`;
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(ackTimer);
      this.asked.delete(replyTo);
      void this.subscriber?.unsubscribe(replyTo).catch(() => undefined);
    };
    const fail = (error: string) => {
      if (done) return;
      finish();
      handlers.onEnd({ requestId: request.requestId, instanceId: request.instanceId, error });
    };
    const ackTimer = setTimeout(() => fail('the node is not connected to any control plane'), RELAY_ACK_TIMEOUT_MS);
    this.asked.set(replyTo, (message) => {
      if (done) return;
      clearTimeout(ackTimer);
      if (message.t === 'chunk') handlers.onChunk(message.chunk);
      else if (message.t === 'end') {
        finish();
        handlers.onEnd(message.end);
      }
    });
    const subscriber = this.subscriber;
    const publisher = this.publisher;
    if (!subscriber || !publisher) {
      fail('redis is not available to reach the replica holding the node');
      return () => undefined;
    }
    subscriber
      .subscribe(replyTo)
      .then(() => publisher.publish(this.nodePattern + nodeId, JSON.stringify({ op: 'open', request, replyTo } satisfies NodeMessage)))
      .catch((err: Error) => fail(`redis: ${err.message}`));
    return () => {
      if (done) return;
      finish();
      void publisher.publish(this.nodePattern + nodeId, JSON.stringify({ op: 'cancel', requestId: request.requestId } satisfies NodeMessage)).catch(() => undefined);
    };
  }

  private onNodeMessage(nodeId: string, payload: string): void {
    let message: NodeMessage;
    try {
      message = JSON.parse(payload) as NodeMessage;
    } catch {
      return;
    }
    if (message.op === 'cancel') {
      this.served.get(message.requestId)?.();
      return;
    }
    const { request, replyTo } = message;
    const publisher = this.publisher;
    if (!publisher || this.served.has(request.requestId)) return;
    const reply = (m: ReplyMessage) =>
      publisher.publish(replyTo, JSON.stringify(m)).then(
        (listeners) => {
          if (listeners === 0) cancel(); // the asking replica is gone
        },
        () => cancel(),
      );
    const stop = this.sessions.requestLogs(nodeId, request, {
      onChunk: (chunk) => void reply({ t: 'chunk', chunk }),
      onEnd: (end) => {
        this.served.delete(request.requestId);
        void reply({ t: 'end', end });
      },
    });
    if (!stop) return; // another replica holds the node (or nobody: the asker times out)
    const cancel = () => {
      if (this.served.delete(request.requestId)) stop();
    };
    this.served.set(request.requestId, cancel);
    void reply({ t: 'ack' });
  }
}
