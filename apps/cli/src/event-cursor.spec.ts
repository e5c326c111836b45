import { EventCursor } from './event-cursor';

describe('EventCursor', () => {
  it('prints each id once and nothing at or below where it started', () => {
    const cursor = new EventCursor(10_000, 4n);
    expect(['4', '5', '6', '5', '7'].map((id) => cursor.take(id, 0))).toEqual([false, true, true, false, true]);
  });

  it('lists after the ids seen longer ago than the window, so a late commit within it still shows', () => {
    const cursor = new EventCursor(10_000, 0n);
    for (const id of ['1', '2', '4']) cursor.take(id, 1_000);
    expect(cursor.after(5_000)).toBe('0'); // within the window: read all again
    expect(cursor.take('3', 5_000)).toBe(true); // committed after 4 had been read
    expect(cursor.take('4', 5_000)).toBe(false);
    cursor.take('5', 9_000);

    expect(cursor.after(11_000)).toBe('4'); // 1, 2 and 4 settled; 3 and 5 not yet
    expect(cursor.take('5', 11_000)).toBe(false);
    expect(cursor.after(19_000)).toBe('5');
    expect(cursor.take('3', 19_000)).toBe(false); // below the floor now: forgotten, never printed twice
  });
});
