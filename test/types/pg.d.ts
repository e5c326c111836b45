// pg ships no types and @types/pg is not installed: the little of it that the test helpers use.
declare module 'pg' {
  export interface QueryResult<R = any> {
    rows: R[];
    rowCount: number | null;
  }
  export class Client {
    constructor(config?: string | { connectionString?: string });
    connect(): Promise<void>;
    query<R = any>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }
}
