/**
 * The routing mesh as this node's HAProxy sees it. A route is one published port; its backends are slots
 * (HAProxy servers s1..sN of the route's backend) so that adding and removing instances is a runtime-API
 * call (`set server addr`, `set server state`), never a reload.
 */

/** One route of the cluster (Routes on the wire), as the agent keeps it. */
export interface MeshRoute {
  tenant: string;
  deployment: string;
  publishPort: number;
  containerPort: number;
  /** The deployment probes over HTTP (so it speaks HTTP): the route runs in HTTP mode. */
  http: boolean;
  backends: MeshBackend[];
}

export interface MeshBackend {
  instanceId: string;
  address: string;
  port: number;
}

/**
 * `ready`: takes new connections. `drain`: left the routes (or is about to stop): no new connections, the open
 * ones finish; the slot is freed once it has no session left.
 */
export type SlotState = 'ready' | 'drain';

export interface Slot extends MeshBackend {
  state: SlotState;
}

/** A route's shape in the HAProxy config: changing any of it needs a reload. */
export interface FrontendShape {
  publishPort: number;
  mode: 'http' | 'tcp';
  /** Number of server slots in the backend. */
  capacity: number;
}

/** What the mesh holds for one published port: its shape and its slots (null = free). */
export interface RouteTable {
  shape: FrontendShape;
  slots: (Slot | null)[];
}
