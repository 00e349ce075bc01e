// In-page jasmine runner (classic script, loaded after jasmine-core's jasmine.js, which installs the
// jasmine globals). test/browser/run.mjs loads a spec bundle, then calls window.__runJasmine():
// resolves to {passed, failed, skipped, failures: [{name, messages}]}, the shape of
// test/helpers/reporter.cjs, so the counts join the `N passed, M failed` total. Every finished spec is
// also logged to the console (test/browser/run.mjs prints the page's console).
(function () {
  const env = jasmine.getEnv();
  // tfjs-core's suites repeat some spec names (jasmine 3 allowed it; see test/core-suites/run.mjs).
  env.configure({random: false, stopSpecOnExpectationFailure: false, autoCleanClosures: false, forbidDuplicateNames: false});
  window.__runJasmine = (filter) => new Promise((resolve) => {
    const out = {passed: 0, failed: 0, skipped: 0, failures: []};
    let t = performance.now();
    env.addReporter({
      specStarted() { t = performance.now(); },
      specDone(r) {
        const ms = Math.round(performance.now() - t);
        if (r.status === 'passed') out.passed++;
        else if (r.status === 'failed') {
          out.failed++;
          out.failures.push({name: r.fullName, messages: r.failedExpectations.map((e) => String(e.message).slice(0, 4000))});
        } else out.skipped++;
        console.log(`[spec] ${r.status === 'passed' ? 'ok  ' : r.status === 'failed' ? 'FAIL' : 'skip'} ${r.fullName} (${ms} ms)`);
      },
      suiteDone(r) {
        // An error in beforeAll/afterAll is reported on the suite: count it as a failure.
        if (r.failedExpectations?.length) {
          out.failed++;
          out.failures.push({name: `${r.fullName} (suite)`, messages: r.failedExpectations.map((e) => String(e.message).slice(0, 4000))});
        }
      },
      jasmineDone(r) {
        if (r.failedExpectations?.length) {
          out.failed++;
          out.failures.push({name: 'top level', messages: r.failedExpectations.map((e) => String(e.message).slice(0, 4000))});
        }
        resolve(out);
      },
    });
    if (filter) {
      const re = new RegExp(filter);
      env.configure({specFilter: (spec) => re.test(spec.getFullName())});
    }
    env.execute();
  });
})();
