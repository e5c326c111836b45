import { CommandError, type CommandRunner } from '@oja/wireguard';
import { restoreInput, type Hook, type OwnedChains } from './firewall';

const MAX_HOOK_COPIES = 32;

/** iptables of the host (the agent's netns), for chains oja owns and the jumps into them. */
export class Iptables {
  constructor(private readonly runner: CommandRunner) {}

  /** Rewrites the given chains whole, atomically; other chains are untouched. */
  async restore(table: string, chains: OwnedChains): Promise<void> {
    await this.runner.run('iptables-restore', ['--noflush', '--wait'], { input: restoreInput(table, chains) });
  }

  /** Puts the jump first in its parent chain unless it is already there (anywhere). */
  async ensureHook(hook: Hook): Promise<void> {
    if (await this.succeeds(['-t', hook.table, '-C', hook.from, '-j', hook.to])) return;
    await this.runner.run('iptables', ['--wait', '-t', hook.table, '-I', hook.from, '1', '-j', hook.to]);
  }

  /** Deletes every copy of the jump (bounded: a runaway never loops forever), then the chain itself; absent ones are fine. */
  async removeHookAndChain(hook: Hook): Promise<void> {
    for (let copies = 0; copies < MAX_HOOK_COPIES && (await this.succeeds(['-t', hook.table, '-D', hook.from, '-j', hook.to])); copies++);
    await this.deleteChain(hook.table, hook.to);
  }

  async deleteChain(table: string, chain: string): Promise<void> {
    if (await this.succeeds(['-t', table, '-F', chain])) await this.runner.run('iptables', ['--wait', '-t', table, '-X', chain]);
  }

  private async succeeds(args: string[]): Promise<boolean> {
    try {
      await this.runner.run('iptables', ['--wait', ...args]);
      return true;
    } catch (error) {
      if (error instanceof CommandError) return false;
      throw error;
    }
  }
}
