#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation (V8's default grows to 16 MiB per semi-space): the agent's garbage is short-lived
// messages and Docker answers, so scavenges stay cheap, and its RSS with 50 containers drops from ~94 to ~73 MB
// (`npm run bench -- agent-rss`). V8 takes the flag only on the command line: run this file itself, not `node` on it.
require('../dist/main.js');
