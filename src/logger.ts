import winston from 'winston';

export type Logger = winston.Logger;

/** The one root logger. Message text is constant; the data goes in fields (callId, agentId, ...). */
export function createLogger(level: string, format: 'json' | 'pretty'): Logger {
  const pretty = winston.format.printf(({ level: lvl, message, timestamp, ...rest }) => {
    const fields = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    return `${timestamp} ${lvl} ${message}${fields}`;
  });
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      format === 'json' ? winston.format.json() : pretty,
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
