import winston from 'winston';

export type Logger = winston.Logger;

/** Field names that may carry a credential: never written out in production mode. */
const SECRET_FIELD = /pass(word)?|secret|authorization|api_?key|^token$|bearer/i;

/** Production mode: a secret-looking field is replaced, whatever logged it (an error's details, a request). */
const redactSecrets = winston.format((info) => {
  const walk = (o: Record<string, unknown>, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      if (SECRET_FIELD.test(k) && v !== undefined && v !== null && v !== '') o[k] = '[redacted]';
      else if (v && typeof v === 'object' && depth < 4) walk(v as Record<string, unknown>, depth + 1);
    }
  };
  walk(info as Record<string, unknown>, 0);
  return info;
});

/** The one root logger. Message text is constant; the data goes in fields (callId, agentId, ...). */
export function createLogger(level: string, format: 'json' | 'pretty', o: { redact?: boolean } = {}): Logger {
  const pretty = winston.format.printf(({ level: lvl, message, timestamp, ...rest }) => {
    const fields = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    return `${timestamp} ${lvl} ${message}${fields}`;
  });
  return skipDisabledLevels(winston.createLogger({
    level,
    format: winston.format.combine(
      ...(o.redact ? [redactSecrets()] : []),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      format === 'json' ? winston.format.json() : pretty,
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  }));
}

/**
 * winston runs every entry through the whole format chain (fields merged, timestamp, JSON) and only
 * then lets the transport drop the entries under the level: at LOG_LEVEL=warn the info line of each
 * call step still cost the controller that work (benchmark profile). Here a level method returns at
 * once when its level is off. The level is read at each call (from the logger or the child's
 * parent), so changing `logger.level` later still takes effect; the one transport has no level of
 * its own, so the logger's level is the whole story.
 */
function skipDisabledLevels(logger: winston.Logger): winston.Logger {
  // createLogger makes a class per logger: its level methods are on that class's prototype
  const proto = Object.getPrototypeOf(logger) as Record<string, unknown>;
  const levels = logger.levels;
  for (const name of Object.keys(levels)) {
    const write = proto[name];
    if (typeof write !== 'function') continue;
    const value = levels[name];
    proto[name] = function (this: winston.Logger, ...args: unknown[]) {
      if (value > (levels[this.level] ?? Infinity)) return this;
      return (write as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  return logger;
}
