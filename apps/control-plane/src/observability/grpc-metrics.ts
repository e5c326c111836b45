import { Inject, Injectable } from '@nestjs/common';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, ControlMessage } from '@oja/proto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY, REQUEST_DURATION_BUCKETS } from '../metrics/metrics.module';

type Call = ServerDuplexStream<AgentMessage, ControlMessage>;

/**
 * Agent-stream metrics: streams open on this replica, messages by direction and kind, and how long handling each
 * agent message took by kind (kinds are a fixed set: the proto's oneof cases).
 */
@Injectable()
export class GrpcMetrics {
  private readonly messages: Counter<'direction' | 'kind'>;
  private readonly handling: Histogram<'kind'>;
  private readonly streams: Gauge;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.messages = new Counter({
      name: 'oja_grpc_messages_total',
      help: 'Agent stream messages, by direction (received from agents / sent to agents) and kind',
      labelNames: ['direction', 'kind'],
      registers: [registry],
    });
    this.handling = new Histogram({
      name: 'oja_grpc_message_duration_seconds',
      help: 'Time this replica took to handle one agent message (its Postgres work included), by kind',
      labelNames: ['kind'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [registry],
    });
    this.streams = new Gauge({ name: 'oja_grpc_agent_streams', help: 'Agent Connect streams open on this replica', registers: [registry] });
  }

  /** Counts a message from an agent (called by the stream's reader: a second 'data' listener would start the flow before it listens). */
  received(msg: AgentMessage): void {
    this.messages.inc({ direction: 'received', kind: kindOf(msg) });
  }

  /** Times the handling of one agent message, started now (not the time it queued behind the stream's earlier messages). */
  timeHandling<T>(msg: AgentMessage, handling: Promise<T>): Promise<T> {
    const end = this.handling.startTimer({ kind: kindOf(msg) });
    return handling.finally(() => end());
  }

  /** Counts the messages sent on one Connect call, and the call itself while it is open. */
  observe(call: Call): void {
    this.streams.inc();
    let open = true;
    const closed = () => {
      if (open) this.streams.dec();
      open = false;
    };
    for (const event of ['close', 'error', 'cancelled']) call.once(event, closed);
    // Every message to the agent goes through write(): count it there rather than in each sender.
    const write = call.write.bind(call) as (msg: ControlMessage, cb?: (err?: Error | null) => void) => boolean;
    call.write = ((msg: ControlMessage, cb?: (err?: Error | null) => void) => {
      this.messages.inc({ direction: 'sent', kind: kindOf(msg) });
      return write(msg, cb);
    }) as Call['write'];
  }
}

function kindOf(msg: AgentMessage | ControlMessage): string {
  return msg.kind?.$case ?? 'empty';
}
