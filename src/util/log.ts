// JSON-lines logger: one place decides the format, the level (changeable at run time, for a
// reload) and how repeated warnings and errors are folded into one line with a count.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger whose level a reload can change. */
export interface ControlledLogger extends Logger {
  level: LogLevel;
  /** Whether a line at this level is written; lets a caller skip building fields it would drop. */
  enabled(level: LogLevel): boolean;
  /** A line at info level written at any level but silent (the query log the operator turned on). */
  notice(msg: string, fields?: LogFields): void;
  /** Writes the pending "suppressed N times" lines now (at exit). */
  flushRepeats(): void;
}

export interface LoggerOptions {
  /** Where each line goes (with its newline); stderr by default. */
  write?: (line: string) => void;
  /** Milliseconds now; the wall clock by default. */
  now?: () => number;
  /**
   * A warning or error with the same message is written at most once per this many ms; the
   * lines held back are counted and reported in one line when the window ends. 0: never held.
   */
  repeatWindowMs?: number;
}

/** A Redis outage logs the same error every second: one line per 10 s with a count is enough. */
export const DEFAULT_REPEAT_WINDOW_MS = 10_000;

interface Repeat {
  windowStart: number;
  suppressed: number;
  level: LogLevel;
  fields: LogFields | undefined;
}

export function createLogger(level: LogLevel = 'info', opts: LoggerOptions | ((line: string) => void) = {}): ControlledLogger {
  const options = typeof opts === 'function' ? { write: opts } : opts;
  const write = options.write ?? ((l: string) => void process.stderr.write(l));
  const now = options.now ?? Date.now;
  const windowMs = options.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS;
  const repeats = new Map<string, Repeat>();
  let sweeper: NodeJS.Timeout | undefined;

  const line = (lvl: LogLevel, msg: string, fields: LogFields | undefined, extra?: LogFields): void => {
    write(`${JSON.stringify({ time: new Date(now()).toISOString(), level: lvl, msg, ...fields, ...extra })}\n`);
  };
  const reportRepeat = (msg: string, r: Repeat): void => {
    if (r.suppressed > 0) line(r.level, msg, r.fields, { repeated: r.suppressed, windowMs });
  };
  /** Ends every window that is over, reporting its count; stops itself when nothing is pending. */
  const sweep = (): void => {
    const t = now();
    for (const [msg, r] of repeats) {
      if (t - r.windowStart < windowMs) continue;
      reportRepeat(msg, r);
      repeats.delete(msg);
    }
    if (repeats.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  const logger: ControlledLogger = {
    level,
    enabled: (lvl) => order[lvl] >= order[logger.level] && lvl !== 'silent',
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    notice: (m, f) => {
      if (logger.level !== 'silent') line('info', m, f);
    },
    flushRepeats() {
      for (const [msg, r] of repeats) reportRepeat(msg, r);
      repeats.clear();
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
    },
  };
  function emit(lvl: LogLevel, msg: string, fields?: LogFields): void {
    if (!logger.enabled(lvl)) return;
    if (windowMs <= 0 || order[lvl] < order.warn) return line(lvl, msg, fields);
    // Repeats are keyed by the message text alone: fields such as an error's detail may vary.
    const r = repeats.get(msg);
    const t = now();
    if (r && t - r.windowStart < windowMs) {
      r.suppressed++;
      r.fields = fields;
      return;
    }
    if (r) reportRepeat(msg, r);
    repeats.set(msg, { windowStart: t, suppressed: 0, level: lvl, fields });
    line(lvl, msg, fields);
    if (!sweeper) {
      sweeper = setInterval(sweep, windowMs);
      sweeper.unref();
    }
  }
  return logger;
}

export const silentLogger: Logger = createLogger('silent');

/**
 * Node's own warnings (MaxListenersExceededWarning, deprecations, experimental features) are
 * printed as plain text by its default handler; this replaces that handler with a JSON line.
 */
export function captureProcessWarnings(log: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    log.warn('node process warning', { warning: w.name, code: w.code, err: w.message, stack: w.stack?.split('\n').slice(1, 6).map((s) => s.trim()) });
  });
}
