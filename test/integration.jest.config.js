// Integration tests: the control plane on real Postgres + Redis (see test/support/).
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/integration/**/*.int.ts'],
  testTimeout: 60_000,
};
