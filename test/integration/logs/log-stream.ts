import { request } from 'node:http';
import type { LogEntry } from '@oja/contracts';

/** A logs request read as it streams: entries arrive in `entries`; close() disconnects like a client going away. */
export interface LogStream {
  status: number;
  contentType: string | null;
  entries: LogEntry[];
  /** Resolves when the server ends the stream (not after close()). */
  ended: Promise<void>;
  close(): void;
}

/**
 * Opens GET `path` on its own connection (node:http without keep-alive: closing it is an unambiguous client
 * disconnect, and no pooled connection outlives the test). `cp` is any control plane reachable over HTTP
 * (in-process in tests, a process in the lab).
 */
export function openLogs(cp: { baseUrl: string }, token: string, path: string): Promise<LogStream> {
  return new Promise((resolve, reject) => {
    const req = request(cp.baseUrl + path, { headers: { authorization: `Bearer ${token}` }, agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      const entries: LogEntry[] = [];
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        rest += chunk;
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line) entries.push(JSON.parse(line) as LogEntry);
      });
      const ended = new Promise<void>((done) => {
        res.once('end', done);
        res.once('error', () => undefined);
      });
      const contentType = res.headers['content-type'];
      resolve({ status: res.statusCode ?? 0, contentType: contentType ?? null, entries, ended, close: () => req.destroy() });
    });
    req.end();
  });
}

/** Reads a whole (non-follow) logs answer. */
export async function readLogs(cp: { baseUrl: string }, token: string, path: string): Promise<LogEntry[]> {
  const stream = await openLogs(cp, token, path);
  if (stream.status !== 200) throw new Error(`${path}: ${stream.status}`);
  await stream.ended;
  return stream.entries;
}
