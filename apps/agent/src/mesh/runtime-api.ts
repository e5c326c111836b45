import { createConnection } from 'node:net';

const COMMAND_TIMEOUT_MS = 5000;

/**
 * Sends commands to an HAProxy CLI socket (the workers' runtime API or the master socket) in one connection,
 * separated by `;`, and returns the whole answer. HAProxy answers each command and closes the connection.
 */
export function haproxyCommand(socketPath: string, commands: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    socket.setTimeout(COMMAND_TIMEOUT_MS, () => socket.destroy(new Error(`haproxy socket ${socketPath}: no answer within ${COMMAND_TIMEOUT_MS} ms`)));
    socket.on('connect', () => socket.end(`${commands.join(';')}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * Answers of state-changing commands are empty on success; anything else names the problem ("No such server.",
 * "Require 'backend/server'."). Informational answers that mean success are ignored.
 */
export function commandErrors(answer: string): string[] {
  return answer
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(no need to change|IP changed from|port changed from|.*changed from .* by 'stats socket command')/i.test(l));
}

/** Current sessions per `backend/server` from `show stat` CSV. */
export function sessionsByServer(csv: string): Map<string, number> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  const px = header.indexOf('pxname');
  const sv = header.indexOf('svname');
  const scur = header.indexOf('scur');
  const out = new Map<string, number>();
  if (px < 0 || sv < 0 || scur < 0) return out;
  for (const line of lines) {
    const cells = line.split(',');
    out.set(`${cells[px]}/${cells[sv]}`, Number(cells[scur]) || 0);
  }
  return out;
}
