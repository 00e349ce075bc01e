// Stands in for require('jasmine-core/lib/jasmine-core/jasmine.js') in tfjs-core's jasmine_util
// (jasmine-core 7's package "exports" no longer expose that path). jasmine_util only uses it as
// `jasmineRequire.core(jasmineRequire).DEFAULT_TIMEOUT_INTERVAL = 20000`: hand it the jasmine
// that runs the specs (installed as a global by the Jasmine runner before the bundle loads), so
// the 20 s timeout tfjs-core intends applies to our run.
module.exports = {core: () => globalThis.jasmine};
