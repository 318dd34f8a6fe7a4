import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; token-bearing fields are redacted so secrets never reach log files. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        '*.access_token',
        '*.as_token',
        '*.hs_token',
        '*.secret',
        '*.password',
        '*.authorization',
        'req.headers.authorization',
        'req.query.access_token',
      ],
      censor: '[redacted]',
    },
  });
}
