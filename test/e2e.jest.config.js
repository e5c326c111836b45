// Single-host end-to-end tests: a real dockerd and real containers (run in band by test/run.sh).
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/e2e/**/*.e2e.ts'],
  testTimeout: 180_000,
};
