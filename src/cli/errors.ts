/**
 * Errors the CLI reports as one line on stderr (no stack trace): bad arguments, missing files,
 * videos ffmpeg cannot read. Anything else is a bug and keeps its stack (with TFJS_DELTA_DEBUG=1).
 */
export class CliError extends Error {
  /** exitCode 2: bad usage (arguments); 1: the run itself failed (missing file, unreadable video). */
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
