// Multi-host lab tests (root only): network namespaces as hosts, one dockerd each. Run with --runInBand.
module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/lab/**/*.lab.ts'],
  testTimeout: 180_000,
};
