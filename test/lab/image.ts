import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import type { CommandOutput } from '@oja/wireguard';
import { IMAGE } from './plan';

/**
 * `oja/busybox:1` without any registry: a static busybox rootfs imported into an engine.
 * Has sh, ping, nc, wget, httpd (`httpd -f -p 80 -h /www`) and /www/index.html.
 */
export async function buildBaseImage(docker: (args: string[]) => Promise<CommandOutput>, workDir: string): Promise<void> {
  const rootfs = `${workDir}/rootfs`;
  rmSync(workDir, { recursive: true, force: true });
  for (const dir of ['bin', 'etc', 'tmp', 'root', 'www']) mkdirSync(`${rootfs}/${dir}`, { recursive: true });
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  copyFileSync(busybox, `${rootfs}/bin/busybox`);
  chmodSync(`${rootfs}/bin/busybox`, 0o755);
  const applets = execFileSync(`${rootfs}/bin/busybox`, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', `${rootfs}/bin/${applet}`);
  chmodSync(`${rootfs}/tmp`, 0o1777);
  writeFileSync(`${rootfs}/etc/passwd`, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(`${rootfs}/etc/group`, 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(`${rootfs}/www/index.html`, 'hello from oja-testlab\n');
  const tarball = `${workDir}/rootfs.tar`;
  execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
  await docker(['import', '--change', 'ENV PATH=/bin', '--change', 'CMD ["sh"]', tarball, IMAGE]);
  rmSync(workDir, { recursive: true, force: true });
}
