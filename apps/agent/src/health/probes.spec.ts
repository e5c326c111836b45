import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeRuntime } from '../runtime/fake-runtime';
import { httpProbe, probeFor, tcpProbe } from './probes';

describe('probes', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      const status = Number(req.url?.slice(1)) || 200;
      res.writeHead(status, status === 302 ? { location: '/' } : {}).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['/200', true, 'HTTP 200'],
    ['/302', true, 'HTTP 302'],
    ['/404', false, 'HTTP 404'],
    ['/503', false, 'HTTP 503'],
  ])('HTTP GET %s → ok=%s', async (path, ok, output) => {
    expect(await httpProbe('127.0.0.1', port, path, 1000)).toEqual({ ok, output });
  });

  it('fails an HTTP check that does not answer within the timeout', async () => {
    expect(await httpProbe('127.0.0.1', port, '/hang', 200)).toEqual({ ok: false, output: 'timed out after 200 ms' });
  });

  it('passes a TCP check on an open port and fails it on a closed one', async () => {
    expect(await tcpProbe('127.0.0.1', port, 1000)).toEqual({ ok: true, output: `connected to 127.0.0.1:${port}` });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await tcpProbe('127.0.0.1', closedPort, 1000)).toMatchObject({ ok: false, output: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('builds the probe the spec names; HTTP/TCP need the container IP, exec its exit code', async () => {
    const timing = { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, initialDelaySeconds: 0 };
    const runtime = new FakeRuntime();
    const http = probeFor({ http: { path: '/200', port }, ...timing }, runtime);
    expect(await http({ containerId: 'c1', ip: '127.0.0.1' })).toEqual({ ok: true, output: 'HTTP 200' });
    expect(await http({ containerId: 'c1', ip: null })).toEqual({ ok: false, output: 'container has no IP address' });

    const exec = probeFor({ exec: { command: ['check'] }, ...timing }, runtime);
    runtime.execResult = { exitCode: 2, output: '' };
    expect(await exec({ containerId: 'c1', ip: null })).toEqual({ ok: false, output: 'exit code 2' });
    runtime.execResult = { exitCode: 0, output: 'fine' };
    expect(await exec({ containerId: 'c1', ip: null })).toEqual({ ok: true, output: 'fine' });
  });
});
