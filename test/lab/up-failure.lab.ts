import { existsSync, readdirSync } from 'node:fs';
import { Lab } from './lab';
import { RUN_DIR } from './plan';
import { ourLinks } from './teardown';

describe('Lab.up failing half-way', () => {
  it('reports the daemon that died and removes what it had created', async () => {
    await expect(Lab.up({ hosts: 2, dockerdArgs: ['--no-such-flag'] })).rejects.toThrow(/dockerd exited; see .*dockerd\.log/);
    expect(readdirSync('/run/netns').filter((name) => name.startsWith('ojahost'))).toEqual([]);
    expect(ourLinks()).toEqual([]);
    expect(existsSync(RUN_DIR)).toBe(false);
  });
});
