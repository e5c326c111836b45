#!/usr/bin/env node
'use strict';
// npm run bench -- NAME [--flags]: runs test/bench/NAME.js with the flags.
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const path = require('node:path');

const NOT_BENCHES = new Set(['run', 'lib', 'synthetic-cluster']);
const available = readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && !NOT_BENCHES.has(f.slice(0, -3)))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...flags] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  console.log(`usage: npm run bench -- NAME [--flags]\navailable: ${available.join(', ')}`);
  process.exit(name ? 0 : 2);
}
if (!available.includes(name)) {
  console.error(`unknown bench "${name}"; available: ${available.join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`), ...flags], { stdio: 'inherit' });
process.exit(result.status ?? 1);
