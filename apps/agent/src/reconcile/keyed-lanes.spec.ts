import { KeyedLanes } from './keyed-lanes';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('KeyedLanes', () => {
  it('runs one task at a time per key, keys side by side, and folds requests made while one waits', async () => {
    const lanes = new KeyedLanes(() => undefined);
    const log: string[] = [];
    const a1Started = gate();
    const a1Release = gate();
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      if (name === 'a1') {
        a1Started.open();
        await a1Release.opened;
      }
      log.push(`end ${name}`);
    };

    const a1 = lanes.run('a', task('a1'));
    expect(lanes.run('a', task('a1-again'))).toBe(a1); // a1 has not started: the request joins it
    await a1Started.opened;
    const b1 = lanes.run('b', task('b1'));
    const a2 = lanes.run('a', task('a2'));
    expect(lanes.run('a', task('a3'))).toBe(a2); // a2 waits behind a1: a3 joins it
    await b1;
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    a1Release.open();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
    await lanes.idle();
  });

  it('reports a failed task and keeps the lane going', async () => {
    const errors: [string, unknown][] = [];
    const lanes = new KeyedLanes((key, err) => errors.push([key, (err as Error).message]));
    await lanes.run('a', async () => {
      throw new Error('boom');
    });
    let ran = false;
    await lanes.run('a', async () => {
      ran = true;
    });
    expect(errors).toEqual([['a', 'boom']]);
    expect(ran).toBe(true);
  });
});
