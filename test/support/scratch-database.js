'use strict';
// A throwaway Postgres database made with an admin URL: what every test (support/database.ts) and every benchmark
// (bench/lib.js) runs against. Plain JavaScript so that both the TypeScript tests and the benchmarks load it.
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

async function withClient(url, fn) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database `<prefix>_<random hex>`; drop() removes it and its sessions. */
async function createScratchDatabase(adminUrl, prefix) {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => withClient(adminUrl, (c) => dropDatabase(c, name)) };
}

/**
 * DROP DATABASE … WITH (FORCE) ends the sessions a test or bench left open, but an autovacuum worker on the fresh
 * database belongs to the superuser, which the oja role may not signal (42501, likely after a big load): a plain DROP
 * then asks autovacuum to stop and waits for it; sessions still closing (55006) are retried.
 */
async function dropDatabase(c, name) {
  for (let attempt = 1; ; attempt++) {
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if (err.code !== '42501') throw err;
    }
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if (err.code !== '55006' || attempt === 5) throw err;
    }
  }
}

module.exports = { createScratchDatabase };
