export type FieldIssue = { path: string; message: string };

/**
 * The one error type the app raises on purpose. `status` is what the client sees; `retryable` tells
 * jobs whether throwing again later can help.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  readonly fields: FieldIssue[];
  /** When trying again makes sense (sent as Retry-After); undefined when it does not say. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      retryable?: boolean;
      fields?: FieldIssue[];
      cause?: unknown;
      retryAfterSeconds?: number | undefined;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const notFound = (what: string): AppError => new AppError(404, 'not_found', `${what} not found`);

export const badRequest = (message: string, fields: FieldIssue[] = []): AppError =>
  new AppError(400, 'invalid_request', message, { fields });
