/**
 * A small command-line parser: `--name value`, `--name=value`, boolean flags, `-h`/`--help`.
 * Options are declared once (name, value placeholder, help text) and the same declaration produces
 * the --help text, so the two cannot drift apart. Values stay strings here; each command converts
 * and validates them (see the parse* helpers below) so that errors name the option.
 */
import {UsageError} from './errors';

export interface OptionSpec {
  name: string;            // without the leading dashes
  /** Placeholder shown in --help (e.g. 'N', 'WxH'); absent for a boolean flag. */
  value?: string;
  help: string;
  /** Shown in --help as "(default: ...)". */
  defaultText?: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Extra paragraphs after the option list (examples, units). */
  notes?: string;
}

export type ParsedArgs = Map<string, string | true>;

/** Parses argv (after the command name). Throws UsageError on unknown options and missing values. */
export function parseArgs(argv: string[], command: CommandSpec): ParsedArgs {
  const byName = new Map(command.options.map((o) => [o.name, o]));
  const out: ParsedArgs = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') { out.set('help', true); continue; }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unexpected argument '${arg}' (options start with --; see tfjs-delta ${command.name} --help)`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name} for '${command.name}' (see tfjs-delta ${command.name} --help)`);
    if (out.has(name)) throw new UsageError(`option --${name} given twice`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      out.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`option --${name} needs a value (${spec.value})`);
    out.set(name, value);
  }
  return out;
}

/** The --help text of a command. */
export function helpText(command: CommandSpec): string {
  const rows = command.options.map((o) => [`  --${o.name}${o.value ? ` ${o.value}` : ''}`,
    o.help + (o.defaultText ? ` (default: ${o.defaultText})` : '')]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Options:'];
  for (const [left, right] of rows) {
    // Wrap the help column at ~100 characters, indented under itself.
    const words = right.split(' ');
    let line = left.padEnd(width);
    for (const w of words) {
      if (line.length + w.length > 100 && line.trim().length > left.trim().length) {
        lines.push(line.trimEnd());
        line = ' '.repeat(width);
      }
      line += w + ' ';
    }
    lines.push(line.trimEnd());
  }
  lines.push('  -h, --help'.padEnd(width) + 'this text');
  if (command.notes) lines.push('', command.notes);
  return lines.join('\n') + '\n';
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** An integer option within [min, max]. */
export function intOption(args: ParsedArgs, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
  const v = Number(text);
  if (v < min || v > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** A positive number option. */
export function numberOption(args: ParsedArgs, name: string, fallback: number): number {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^[0-9.eE+-]+$/.test(text) || !Number.isFinite(v) || v <= 0) {
    throw new UsageError(`--${name} must be a positive number, got '${text}'`);
  }
  return v;
}

/** A comma-separated list option; entries trimmed, empty entries rejected. */
export function listOption(args: ParsedArgs, name: string, fallback: string[]): string[] {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name}: empty entry in '${text}'`);
  return items;
}

/** A threshold as given on the command line: an absolute value, or a share of the input range ("2%"). */
export interface ThresholdSpec {
  text: string;
  /** Absolute value, or the percentage when `percent` is true. */
  value: number;
  percent: boolean;
}

/** Parses "0", "0.02", "5", "2%" (percent allowed only where `allowPercent`). */
export function parseThreshold(text: string, option: string, allowPercent: boolean): ThresholdSpec {
  const percent = text.endsWith('%');
  const body = percent ? text.slice(0, -1) : text;
  const v = Number(body);
  if (!/^[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?$/.test(body) || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`--${option}: '${text}' is not a threshold (a number >= 0${allowPercent ? ', or a percentage like 2%' : ''})`);
  }
  if (percent && !allowPercent) {
    throw new UsageError(`--${option}: '${text}': a percentage is only defined for --input-threshold (share of the model's input range)`);
  }
  if (percent && v > 100) throw new UsageError(`--${option}: '${text}' is more than 100% of the input range`);
  return {text, value: v, percent};
}

/** Parses "WxH" (e.g. 257x257). */
/** --range lo,hi: the input value range of a model outside the catalog. */
export function parseRange(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1] > parts[0])) {
    throw new UsageError(`--range must be lo,hi with lo < hi (e.g. -1,1), got '${text}'`);
  }
  return [parts[0], parts[1]];
}

export function parseSize(text: string, option: string): [number, number] {
  const m = /^([0-9]{1,5})x([0-9]{1,5})$/i.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--${option} must be WxH (e.g. 257x257), got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}
