// Runs one jasmine config with the counting reporter: node test/run-jasmine.cjs <config.json>
const Jasmine = require('jasmine');
const {CountingReporter} = require('./helpers/reporter.cjs');
const runner = new Jasmine({projectBaseDir: process.cwd()});
runner.loadConfigFile(process.argv[2]);
runner.addReporter(new CountingReporter());
runner.exitOnCompletion = true;
runner.execute();
