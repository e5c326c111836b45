// Multi-host lab tests (root only): network namespaces as hosts, one dockerd each. Run with --runInBand.
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/lab/**/*.lab.ts'],
  testTimeout: 600_000, // Lab.up waits while another run has the lab up
  // tear a lab down even when a test file forgets to, fails in beforeAll, or the run is interrupted
  globalSetup: '<rootDir>/lab/global-setup.ts',
  globalTeardown: '<rootDir>/lab/global-teardown.ts',
};
