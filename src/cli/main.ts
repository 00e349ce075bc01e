#!/usr/bin/env node
/**
 * The `tfjs-delta` command line: `run` (one model on one video, dense vs delta) and `bench` (the
 * benchmark matrix). Bad arguments and unusable inputs end with one line on stderr and a non-zero
 * exit (2: usage, 1: the run failed); set TFJS_DELTA_DEBUG=1 for stack traces.
 */
import {CommandSpec, helpText, parseArgs} from './args';
import {BENCH_COMMAND, planBench, runBench, writeReadmeSection} from './bench';
import {CALIBRATE_COMMAND, calibrateCommand, planCalibrate} from './calibrate';
import {CliError, UsageError} from './errors';
import {RUN_COMMAND, packageVersion, planRun, quietTfjs, run} from './run';

const COMMANDS: Record<string, CommandSpec> = {run: RUN_COMMAND, bench: BENCH_COMMAND, calibrate: CALIBRATE_COMMAND};

function topHelp(): string {
  return 'Usage: tfjs-delta <command> [options]\n\n' +
    'Runs unmodified tfjs graph models on video as sparse frame-to-frame updates (tfjs-backend-delta) and shows\n' +
    'what that buys: latency vs the dense backend, agreement, per-layer sparsity.\n\nCommands:\n' +
    '  run     one model on one video, dense vs delta (no arguments: movenet-lightning on the shipped sample clip)\n' +
    '  bench   the benchmark matrix: models x videos x backends x thresholds -> benchmarks/results/\n' +
    '  calibrate  per-layer thresholds for a model on a video, within an error target -> thresholds.json (run --thresholds)\n\n' +
    'tfjs-delta <command> --help for its options; tfjs-delta --version.\n';
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(packageVersion() + '\n');
    return 0;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')}; see tfjs-delta --help)`);
  const args = parseArgs(rest, spec);
  if (args.has('help')) {
    process.stdout.write(helpText(spec));
    return 0;
  }
  quietTfjs();
  if (command === 'run') {
    await run(planRun(args));
  } else if (command === 'calibrate') {
    await calibrateCommand(planCalibrate(args));
  } else if (args.has('readme')) {
    writeReadmeSection(args);
  } else {
    await runBench(planBench(args));
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  const debug = Boolean(process.env.TFJS_DELTA_DEBUG);
  if (e instanceof CliError && !debug) {
    process.stderr.write(`tfjs-delta: ${e.message}\n`);
    process.exitCode = e.exitCode;
    return;
  }
  // Not an argument problem: still one line by default, the stack on request.
  const err = e as Error;
  process.stderr.write(debug ? `${err?.stack ?? String(e)}\n` :
    `tfjs-delta: internal error: ${String(err?.message ?? e).split('\n')[0]} (TFJS_DELTA_DEBUG=1 for the stack trace)\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
