import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1:0 in front of a real server (Postgres, Redis), so a test can make that server
 * "go away" for one app without touching the shared server:
 * - cut(): existing connections are reset and new ones are closed at once (server down);
 * - blackhole(): connections are accepted but nothing is forwarded (server hung / network partition);
 * - restore(): forwarding again (blackholed connections are dropped so clients reconnect).
 */
export interface TcpProxy {
  port: number;
  /** The target URL with host:port replaced by the proxy's. */
  url(targetUrl: string): string;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'open' | 'cut' | 'blackhole';

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: Mode = 'open';
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };

  const server = net.createServer((client) => {
    track(client);
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    if (mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      mode = 'cut';
      dropAll();
    },
    blackhole() {
      mode = 'blackhole';
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    restore() {
      if (mode === 'blackhole') dropAll();
      mode = 'open';
    },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
