import { status } from '@grpc/grpc-js';

/** An error answered to the agent with a gRPC status and a message it can show. */
export class GatewayError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }

  toStatus(): { code: status; details: string } {
    return { code: this.code, details: this.message };
  }
}
