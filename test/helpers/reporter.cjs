// Jasmine reporter that writes {passed, failed, skipped, failures} to $DELTA_RESULT_FILE so that
// test/run.mjs can add up the counts of every suite it runs (each in its own process).
const fs = require('node:fs');
class CountingReporter {
  constructor() { this.passed = 0; this.failed = 0; this.skipped = 0; this.failures = []; }
  specDone(r) {
    if (r.status === 'passed') this.passed++;
    else if (r.status === 'failed') {
      this.failed++;
      this.failures.push({name: r.fullName, messages: r.failedExpectations.map((e) => e.message).slice(0, 3)});
    } else this.skipped++;
  }
  suiteDone(r) {
    // An error in beforeAll/afterAll fails the suite without failing a spec: count it.
    if (r.failedExpectations && r.failedExpectations.length) {
      this.failed++;
      this.failures.push({name: r.fullName + ' (suite)', messages: r.failedExpectations.map((e) => e.message).slice(0, 3)});
    }
  }
  jasmineDone(r) {
    if (r.failedExpectations && r.failedExpectations.length) {
      this.failed++;
      this.failures.push({name: '(top level)', messages: r.failedExpectations.map((e) => e.message).slice(0, 3)});
    }
    const file = process.env.DELTA_RESULT_FILE;
    if (file) fs.writeFileSync(file, JSON.stringify({passed: this.passed, failed: this.failed, skipped: this.skipped, failures: this.failures}));
  }
}
module.exports = {CountingReporter};
