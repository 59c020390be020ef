/**
 * Structured logs for operators: one record per line with a timestamp, a level, the logger's
 * name, a constant message and key/value fields (house style: never format variables into the
 * message). `json` (default) is for log pipelines, `text` for humans at a terminal.
 *
 * Errors: pass them as a field (`{ error }`); the record carries the message (with its cause
 * chain) and, only when debug is enabled, the stack. Log an error once, where it is handled
 * (the worker loop for reconcile errors), not at every layer it passes through.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'json' | 'text';
export type Fields = Readonly<Record<string, unknown>>;

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

const SEVERITY: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Logger: leveled, structured, with children that add fields or a name. */
export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** A logger whose records also carry `fields`. */
  child(fields: Fields): Logger;
  /** A logger named `<parent>.<name>` (or `name` at the root). */
  named(name: string): Logger;
  /** Whether records of `level` are written (to skip building expensive fields). */
  enabled(level: LogLevel): boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  readonly name?: string;
  readonly fields?: Fields;
  /** Where lines go, newline included; default process.stderr (stdout stays free for tools). */
  readonly write?: (line: string) => void;
  /** Clock for timestamps; injectable for tests. */
  readonly now?: () => Date;
}

/** klog-style verbosity to a level: -v 0 is info, -v 1 or more is debug (CAPI uses V(0) and V(1)). */
export function levelFromVerbosity(v: number): LogLevel {
  return v >= 1 ? 'debug' : 'info';
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** An error's message followed by its cause chain ("a: b: c"), bounded against cycles. */
export function errorMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      if (current instanceof AggregateError && current.errors.length > 0) {
        parts.push(`${current.message} [${current.errors.map(errorMessage).join('; ')}]`);
      } else {
        parts.push(current.message);
      }
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : safeJson(current));
      break;
    }
  }
  return parts.join(': ');
}

function safeJson(value: unknown): string {
  try {
    // JSON.stringify returns undefined for undefined and functions, whatever its type says.
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) as
      string | undefined;
    return text ?? String(value);
  } catch {
    return String(value);
  }
}

const RESERVED = new Set(['ts', 'level', 'logger', 'msg']);

/** Field values as JSON can hold them: errors as messages, bigints as exact decimal strings. */
function renderFields(fields: Fields, withStacks: boolean, into: Record<string, unknown>): void {
  for (const [rawKey, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const key = RESERVED.has(rawKey) ? `_${rawKey}` : rawKey;
    if (value instanceof Error) {
      into[key] = errorMessage(value);
      if (withStacks && value.stack !== undefined) into[`${key}Stack`] = value.stack;
    } else if (typeof value === 'bigint') {
      into[key] = value.toString();
    } else {
      into[key] = value;
    }
  }
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return safeJson(value);
}

/** createLogger builds the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'json';
  const write =
    options.write ??
    ((line: string) => {
      process.stderr.write(line);
    });
  const now = options.now ?? (() => new Date());
  return makeLogger({ level, format, write, now }, options.name, options.fields ?? {});
}

interface Sink {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly write: (line: string) => void;
  readonly now: () => Date;
}

function makeLogger(sink: Sink, name: string | undefined, base: Fields): Logger {
  const max = SEVERITY[sink.level];
  const enabled = (l: LogLevel): boolean => SEVERITY[l] <= max;
  const emit = (l: LogLevel, msg: string, fields: Fields | undefined): void => {
    if (!enabled(l)) return;
    const record: Record<string, unknown> = { ts: sink.now().toISOString(), level: l };
    if (name !== undefined) record.logger = name;
    record.msg = msg;
    renderFields(base, enabled('debug'), record);
    if (fields !== undefined) renderFields(fields, enabled('debug'), record);
    sink.write(sink.format === 'json' ? `${safeJson(record)}\n` : `${textLine(record)}\n`);
  };
  return {
    debug: (m, f) => {
      emit('debug', m, f);
    },
    info: (m, f) => {
      emit('info', m, f);
    },
    warn: (m, f) => {
      emit('warn', m, f);
    },
    error: (m, f) => {
      emit('error', m, f);
    },
    child: (fields) => makeLogger(sink, name, { ...base, ...fields }),
    named: (n) => makeLogger(sink, name === undefined ? n : `${name}.${n}`, base),
    enabled,
  };
}

function textLine(record: Record<string, unknown>): string {
  const { ts, level, logger, msg, ...rest } = record;
  const head = [String(ts), String(level).toUpperCase().padEnd(5)];
  if (typeof logger === 'string') head.push(`[${logger}]`);
  head.push(String(msg));
  const stacks: string[] = [];
  for (const [k, v] of Object.entries(rest)) {
    if (k.endsWith('Stack') && typeof v === 'string') stacks.push(v);
    else head.push(`${k}=${textValue(v)}`);
  }
  return [head.join(' '), ...stacks.map((s) => s.replace(/^/gm, '    '))].join('\n');
}

/** A logger that drops everything (tests, or a disabled component). */
export const discardLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => discardLogger,
  named: () => discardLogger,
  enabled: () => false,
};
