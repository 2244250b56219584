import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../../domain/calendar-provider.js';

export type GraphTransport = {
  fetch: typeof fetch;
  now: () => Date;
  timeoutMs: number;
};

const graphErrorBody = z.object({ error: z.object({ code: z.string() }) });
const aadErrorBody = z.object({ error: z.string(), error_codes: z.array(z.number()).optional() });

/**
 * One HTTP call. Network failures and timeouts become `unavailable`; every message names the operation,
 * the status and the provider's error code, never a header, body or URL that could hold a token.
 */
export async function call(
  transport: GraphTransport,
  operation: string,
  url: string,
  init: RequestInit,
): Promise<Response> {
  try {
    return await transport.fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'error';
    throw new ProviderError('unavailable', `Outlook ${operation} failed before any answer (${reason})`);
  }
}

/** Reads a 2xx JSON answer through its schema; an answer that does not fit is the provider's fault. */
export async function readJson<T>(response: Response, schema: z.ZodType<T>, operation: string): Promise<T> {
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success)
    throw new ProviderError(
      'unavailable',
      `Outlook ${operation} answered something unexpected`,
      response.status,
    );
  return parsed.data;
}

/** Graph's failure in the core's words. */
export async function graphFailure(
  response: Response,
  operation: string,
  now: Date,
  notFound: 'calendar_gone' | 'rejected',
): Promise<ProviderError> {
  const parsed = graphErrorBody.safeParse(await response.json().catch(() => undefined));
  const code = parsed.success ? ` ${parsed.data.error.code}` : '';
  const message = `Outlook ${operation} answered ${response.status}${code}`;
  return new ProviderError(
    kindOf(response.status, notFound),
    message,
    response.status,
    retryAfterMs(response.headers.get('retry-after'), now),
  );
}

/** The token endpoint's failure: `invalid_grant` means the person withdrew consent (or it lapsed). */
export async function tokenFailure(response: Response, operation: string, now: Date): Promise<ProviderError> {
  const parsed = aadErrorBody.safeParse(await response.json().catch(() => undefined));
  const error = parsed.success ? parsed.data.error : 'unreadable';
  const codes = parsed.success ? (parsed.data.error_codes ?? []).map((code) => `AADSTS${code}`) : [];
  const message = `Microsoft sign-in ${operation} answered ${response.status} ${[error, ...codes].join(' ')}`;
  // A 401 here is the app's own client secret (`invalid_client`), not the person's token: the operator's to fix.
  const kind: ProviderErrorKind =
    error === 'invalid_grant'
      ? 'grant_revoked'
      : response.status === 401
        ? 'rejected'
        : kindOf(response.status, 'rejected');
  return new ProviderError(
    kind,
    message,
    response.status,
    retryAfterMs(response.headers.get('retry-after'), now),
  );
}

function kindOf(status: number, notFound: 'calendar_gone' | 'rejected'): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401) return 'unauthorized';
  if (status === 404) return notFound;
  if (status >= 500) return 'unavailable';
  return 'rejected';
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
