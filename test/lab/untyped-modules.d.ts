// @types/pg is not installed; test/support/database.ts (used by oja.lab.ts) imports pg.
declare module 'pg' {
  export class Client {
    constructor(config: { connectionString: string });
    connect(): Promise<void>;
    query(text: string): Promise<unknown>;
    end(): Promise<void>;
  }
}
