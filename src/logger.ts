import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear in a logged object (raw requests included). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-forge-oauth-system"]',
  'req.headers["x-forge-oauth-user"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-forge-oauth-system"]',
  'headers["x-forge-oauth-user"]',
  'headers["x-csrf-token"]',
  'headers["set-cookie"]',
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

/**
 * Field names that hold a credential, compared without case, dashes or underscores: a value under such a
 * key is blanked at any depth, whatever it looks like (Forge's tokens are opaque, DC tokens are sealed).
 */
const SECRET_FIELD =
  /^(authorization|cookies?|setcookie|jwt|sealed|sessionid|codeverifier|verifier|xforgeoauth(system|user)|.*(token|tokens|secret|password|encrypted|encryptionkey))$/;
/** Names that end like a secret but hold none. */
const NOT_SECRET_FIELD = new Set(['nextpagetoken', 'tokenhash', 'tokennonce']);

export function isSecretField(key: string): boolean {
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_FIELD.test(name) && !NOT_SECRET_FIELD.has(name);
}

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_SECRET_PATTERN =
  /([?&](?:jwt|code|state|code_verifier|access_token|refresh_token|client_secret|token)=|\/(?:feeds|ical)\/)[^/?&\s"]+/g;

const knownSecrets = new Set<string>();

/**
 * Values this process holds as secrets (configured keys and tokens): wherever one turns up in a log line,
 * under whatever field or inside whatever text, it is blanked. Values under 8 characters are ignored.
 */
export function treatAsSecret(...values: (string | null | undefined)[]): void {
  for (const value of values) if (value && value.length >= 8) knownSecrets.add(value);
}

/**
 * Strips JWTs, secret path segments, OAuth query values and known secret values out of free text (URLs,
 * error messages).
 */
export function scrubSecrets(text: string): string {
  let clean = text.replace(JWT_PATTERN, '[jwt]').replace(URL_SECRET_PATTERN, '$1[redacted]');
  for (const secret of knownSecrets)
    if (clean.includes(secret)) clean = clean.replaceAll(secret, '[redacted]');
  return clean;
}

const MAX_DEPTH = 8;

const isPlain = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * A copy of `value` with secret-bearing fields blanked and JWTs or feed tokens scrubbed from strings, at
 * any depth of plain objects and arrays; anything else (errors, requests) is left to its serializer.
 */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (!isPlain(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] =
      isSecretField(key) && item !== undefined && item !== null ? '[redacted]' : redact(item, depth + 1);
  }
  return copy;
}

/** What a failed statement's error carries about its values: pg's detail ("Key (x)=(…)"), PGlite's params. */
const STATEMENT_FIELDS = [
  'detail',
  'where',
  'internalQuery',
  'query',
  'params',
  'parameters',
  'bindings',
  'sql',
];

function isDatabaseError(error: Error): boolean {
  const { code } = error as { code?: unknown };
  return (
    typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && ('severity' in error || 'routine' in error)
  );
}

/**
 * The error and its causes without what a database error says about the statement: knex prefixes the
 * message with the statement (and, unless told otherwise, its values) before " - ", and pg's `detail`
 * repeats the row. What is left is the reason and the SQLSTATE.
 */
function withoutStatements(error: Error, depth = 0): Error {
  const database = isDatabaseError(error);
  const { cause } = error as { cause?: unknown };
  const causeClean =
    cause instanceof Error && depth < MAX_DEPTH ? withoutStatements(cause, depth + 1) : cause;
  if (!database && causeClean === cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error & Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(error)) {
    if (database && STATEMENT_FIELDS.includes(key)) continue;
    copy[key] = (error as unknown as Record<string, unknown>)[key];
  }
  if (cause !== undefined) copy['cause'] = causeClean;
  if (database) {
    const separator = error.message.lastIndexOf(' - ');
    copy.message = separator >= 0 ? error.message.slice(separator + 3) : error.message;
    const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    copy.stack = [`${error.name}: ${copy.message}`, ...frames].join('\n');
  }
  return copy;
}

export function createLogger(
  options: { level: string; pretty?: boolean },
  destination?: pino.DestinationStream,
): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      // Whatever a call site logs, secret-bearing fields are blanked and feed tokens or JWTs scrubbed.
      log: (object) => redact(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => {
        const serialized = pino.stdSerializers.err(
          err instanceof Error ? withoutStatements(err) : (err as Error),
        );
        return {
          ...(redact({ ...serialized }) as typeof serialized),
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
