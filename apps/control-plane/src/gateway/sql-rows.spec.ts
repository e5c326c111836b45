import { rowsOf } from './sql-rows';

describe('rowsOf', () => {
  it('unwraps UPDATE/DELETE results and passes SELECT/INSERT rows through', () => {
    expect(rowsOf([[{ id: 1 }], 1])).toEqual([{ id: 1 }]);
    expect(rowsOf([[], 0])).toEqual([]);
    expect(rowsOf([{ id: 1 }, { id: 2 }])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(rowsOf([])).toEqual([]);
  });
});
