import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedIdentity, SavedSettings } from '../config/settings';

/** The node's credentials: the key never leaves the node; the certificate and CA come from Join. */
export interface NodeCredentials {
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

const FILES = {
  identity: 'identity.json',
  settings: 'settings.json',
  key: 'node.key',
  certificate: 'node.crt',
  ca: 'ca.crt',
} as const;

/**
 * The agent's state directory (0700, every file 0600). Writes go to a temporary file and are renamed into place so
 * a crash never leaves half a key behind.
 */
export class DataDir {
  constructor(readonly path: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.path, { recursive: true, mode: 0o700 });
    await chmod(this.path, 0o700);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async loadIdentity(): Promise<SavedIdentity | undefined> {
    return this.readJson<SavedIdentity>(FILES.identity);
  }

  async loadSettings(): Promise<SavedSettings> {
    return (await this.readJson<SavedSettings>(FILES.settings)) ?? {};
  }

  async saveSettings(settings: SavedSettings): Promise<void> {
    await this.writePrivate(FILES.settings, JSON.stringify(settings, null, 2) + '\n');
  }

  async saveIdentity(identity: SavedIdentity): Promise<void> {
    await this.writePrivate(FILES.identity, JSON.stringify(identity, null, 2) + '\n');
  }

  /** Saved before the identity, so an identity on disk always has its credentials next to it. */
  async saveCredentials(credentials: NodeCredentials): Promise<void> {
    await this.writePrivate(FILES.key, credentials.keyPem);
    await this.writePrivate(FILES.certificate, credentials.certificatePem);
    await this.writePrivate(FILES.ca, credentials.caPem);
  }

  /** A renewed certificate: the key and the CA stay as they are. */
  async saveCertificate(certificatePem: string): Promise<void> {
    await this.writePrivate(FILES.certificate, certificatePem);
  }

  async loadCredentials(): Promise<NodeCredentials> {
    const read = async (name: string) => {
      try {
        return await readFile(this.file(name), 'utf8');
      } catch (err) {
        throw new Error(`${this.file(name)} is unreadable (${(err as Error).message}); the data dir is damaged: join again with a fresh one`);
      }
    };
    return { keyPem: await read(FILES.key), certificatePem: await read(FILES.certificate), caPem: await read(FILES.ca) };
  }

  private async readJson<T>(name: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${this.file(name)} is not valid JSON`);
    }
  }

  /**
   * Written to a temporary file, flushed to disk, renamed over the old one, and the rename flushed too: after a crash
   * or a power cut the file is the old one or the new one, whole. A renewed certificate depends on it — once presented,
   * the control plane refuses the one it replaced.
   */
  async writePrivate(name: string, content: string): Promise<void> {
    const target = this.file(name);
    const temporary = `${target}.tmp-${process.pid}`;
    const file = await open(temporary, 'w', 0o600);
    try {
      // A temporary left by a crash keeps its old mode: `open` sets it only on files it creates.
      await file.chmod(0o600);
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
    const dir = await open(this.path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
