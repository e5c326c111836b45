import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { docker, waitFor } from './support';
import { freePort } from '../../support/ports';

/** A docker-registry (distribution 2.8) with htpasswd auth on a free 127.0.0.1 port; dockerd trusts 127.0.0.0/8 over plain http. */
export interface PrivateRegistry {
  address: string;
  username: string;
  password: string;
  /** Tags a local image into the registry and pushes it, then drops the local tag (so agents must pull). */
  push(localImage: string, repository: string): Promise<string>;
  /** Deletes the blob of a pushed image's top layer from storage: its manifest still resolves, its pull then fails midway. */
  breakTopLayer(repository: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRegistry(username: string, password: string): Promise<PrivateRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'oja-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', username, password]));
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
      `http: { addr: "${address}" }`,
      `auth: { htpasswd: { realm: oja, path: ${join(dir, 'htpasswd')} } }`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://${address}/v2/`).catch(() => null))?.status === 401, 'registry up');
  const pushed: string[] = [];
  const authconfig = { username, password, serveraddress: address };

  return {
    address,
    username,
    password,
    async push(localImage, repository) {
      const [repo, tag] = repository.split(':');
      const target = `${address}/${repo}`;
      await docker.getImage(localImage).tag({ repo: target, tag });
      const stream = (await docker.getImage(`${target}:${tag}`).push({ authconfig })) as unknown as Readable;
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
      await docker.getImage(`${target}:${tag}`).remove();
      pushed.push(`${target}:${tag}`);
      return `${target}:${tag}`;
    },
    async breakTopLayer(repository) {
      const [repo, tag] = repository.split(':');
      const res = await fetch(`http://${address}/v2/${repo}/manifests/${tag}`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
          accept: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      });
      const manifest = (await res.json()) as { layers: { digest: string }[] };
      const hex = manifest.layers.at(-1)!.digest.replace('sha256:', '');
      rmSync(join(dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex), { recursive: true });
    },
    async stop() {
      child.kill('SIGTERM');
      for (const image of pushed) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
