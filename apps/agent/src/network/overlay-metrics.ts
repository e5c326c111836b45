import { Gauge, type Registry } from 'prom-client';
import type { Overlay } from './overlay';

/**
 * `oja_agent_overlay_peers` and `oja_agent_overlay_peer_handshake_age_seconds{peer}`, read from `wg show` at scrape
 * time. A peer that never completed a handshake has no age sample.
 */
export function registerOverlayMetrics(registry: Registry, overlay: Overlay, clock: () => number = Date.now): void {
  let latest: Promise<Awaited<ReturnType<Overlay['status']>>> | undefined;
  // both gauges are collected in one scrape: share one `wg show` call between them
  const status = () => (latest ??= overlay.status().catch(() => undefined).finally(() => setImmediate(() => (latest = undefined))));
  new Gauge({
    name: 'oja_agent_overlay_peers',
    help: 'WireGuard peers configured on the overlay interface',
    registers: [registry],
    async collect() {
      this.set((await status())?.dump.peers.length ?? 0);
    },
  });
  new Gauge({
    name: 'oja_agent_overlay_peer_handshake_age_seconds',
    help: 'Seconds since the latest WireGuard handshake with each peer (by node name)',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset();
      const current = await status();
      for (const peer of current?.dump.peers ?? []) {
        if (!peer.latestHandshake) continue;
        const name = current?.names.get(peer.publicKey) ?? peer.publicKey;
        this.set({ peer: name }, Math.max(0, (clock() - peer.latestHandshake.getTime()) / 1000));
      }
    },
  });
}
