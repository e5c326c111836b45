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

/** `cp` is any control plane reachable over HTTP (in-process in tests, a process in the lab). */
export async function openLogs(cp: { baseUrl: string }, token: string, path: string): Promise<LogStream> {
  const abort = new AbortController();
  const res = await fetch(cp.baseUrl + path, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const entries: LogEntry[] = [];
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let rest = '';
    try {
      for await (const chunk of res.body) {
        rest += decoder.decode(chunk as Uint8Array, { stream: true });
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line) entries.push(JSON.parse(line) as LogEntry);
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return { status: res.status, contentType: res.headers.get('content-type'), entries, ended, close: () => abort.abort() };
}

/** Reads a whole (non-follow) logs answer. */
export async function readLogs(cp: { baseUrl: string }, token: string, path: string): Promise<LogEntry[]> {
  const stream = await openLogs(cp, token, path);
  if (stream.status !== 200) throw new Error(`${path}: ${stream.status}`);
  await stream.ended;
  return stream.entries;
}
