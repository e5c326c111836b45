// Jest reporter for test/run.sh: appends one JSON line per Jest run to $OJA_TEST_SUMMARY, so the
// runner can total the tests of every layer (the unit layer is one Jest run per Nx project).
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const file = process.env.OJA_TEST_SUMMARY;
    if (!file) return;
    const row = {
      layer: process.env.OJA_TEST_LAYER ?? '',
      project: path.relative(path.join(__dirname, '..'), this.rootDir) || '.',
      passed: results.numPassedTests,
      // a suite that could not run (syntax error, failing hook) has no failed tests: count it as one
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      broken: results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    fs.appendFileSync(file, JSON.stringify(row) + '\n');
  }
}

module.exports = SummaryReporter;
