import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'sharedSecret',
  'shared_secret',
  '*.sharedSecret',
  '*.shared_secret',
  'jwt',
  '*.jwt',
  'token',
  '*.token',
  'feedToken',
  '*.feedToken',
  'password',
  '*.password',
];

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_SECRET_PATTERN = /([?&]jwt=|\/(?:feeds|ical)\/)[^/?&\s"]+/g;

/** Strips JWTs and secret path segments out of free text (URLs, error messages). */
export function scrubSecrets(text: string): string {
  return text.replace(JWT_PATTERN, '[jwt]').replace(URL_SECRET_PATTERN, '$1[redacted]');
}

function scrubStrings(object: Record<string, unknown>): Record<string, unknown> {
  let scrubbed: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(object)) {
    if (typeof value !== 'string') continue;
    const clean = scrubSecrets(value);
    if (clean !== value) (scrubbed ??= { ...object })[key] = clean;
  }
  return scrubbed ?? object;
}

export function createLogger(
  options: { level: string; pretty?: boolean },
  destination?: pino.DestinationStream,
): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      // Whatever a call site logs (a path, a URL, a message), a feed token or JWT in it is scrubbed.
      log: scrubStrings,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => {
        const serialized = pino.stdSerializers.err(err as Error);
        return {
          ...serialized,
          message: scrubSecrets(serialized.message),
          stack: scrubSecrets(serialized.stack),
        };
      },
      req: (req: { method?: string; url?: string; id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url === undefined ? undefined : scrubSecrets(req.url),
      }),
    },
  };
  if (destination) return pino(loggerOptions, destination);
  // pino-pretty is a development dependency: only ask for it when a person reads the output.
  if (options.pretty)
    return pino({ ...loggerOptions, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(loggerOptions);
}
