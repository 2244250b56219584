/**
 * The port for live calendars: how the core writes a person's events into their own calendar at a provider
 * (Google Calendar, Outlook through Microsoft Graph). Adapters live in `src/providers/<provider>/`; the core
 * only ever holds a `CalendarProvider`, never a provider's name or wire format.
 */
export type ProviderKey = 'google' | 'microsoft';

export const PROVIDER_KEYS: readonly ProviderKey[] = ['google', 'microsoft'];

/** A point in time as a provider stores it: a date for all-day events (end exclusive), else an instant. */
export type PushTime = { date: string } | { dateTime: string; timeZone: string };

/** One event as the person's personal URL serves it, in the shape every provider can take. */
export type PushedEvent = {
  /** The feed's UID; the adapter stores it in a private property so the event can be found again. */
  uid: string;
  summary: string;
  description: string;
  url: string | null;
  start: PushTime;
  end: PushTime;
  transparent: boolean;
  /** Digest of everything above: equal digests mean the remote event needs no call. */
  digest: string;
};

export type CalendarChange =
  | { kind: 'insert'; event: PushedEvent }
  | { kind: 'update'; remoteId: string; event: PushedEvent }
  | { kind: 'delete'; remoteId: string; uid: string };

/** `gone`: the remote event had already been removed (by the person, say); nothing is left to do. */
export type ChangeOutcome =
  | { kind: 'inserted'; uid: string; remoteId: string }
  | { kind: 'updated'; uid: string; remoteId: string }
  | { kind: 'deleted'; uid: string }
  | { kind: 'gone'; uid: string };

export type ProviderGrant = {
  accessToken: string;
  accessTokenExpiresAt: Date;
  /** Null when the provider kept the previous refresh token (refresh answers often omit it). */
  refreshToken: string | null;
  scopes: string[];
};

export type AuthorizationRequest = {
  state: string;
  /** BASE64URL(SHA-256(code_verifier)), method S256. */
  codeChallenge: string;
  redirectUri: string;
};

export interface CalendarProvider {
  readonly key: ProviderKey;
  /** What the pages call it: "Google Calendar", "Outlook". */
  readonly label: string;
  /** The provider's consent page to open in a new top-level window. */
  authorizationUrl(request: AuthorizationRequest): string;
  exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<ProviderGrant>;
  refreshGrant(refreshToken: string): Promise<ProviderGrant>;
  /** Best effort: a grant the provider no longer knows counts as revoked. */
  revokeGrant(refreshToken: string): Promise<void>;
  createCalendar(
    accessToken: string,
    calendar: { name: string; description: string; timeZone: string },
  ): Promise<{ remoteId: string }>;
  /** A calendar that is already gone counts as deleted. */
  deleteCalendar(accessToken: string, remoteCalendarId: string): Promise<void>;
  /** The remote id of the event carrying `uid`, to recover from a crash between a call and its bookkeeping. */
  findEvent(accessToken: string, remoteCalendarId: string, uid: string): Promise<string | null>;
  /** Exactly one provider call per change. */
  applyChange(accessToken: string, remoteCalendarId: string, change: CalendarChange): Promise<ChangeOutcome>;
}

/** The providers for live calendars, keyed by their `ProviderKey`: only those whose OAuth client is configured. */
export type CalendarProviders = ReadonlyMap<ProviderKey, CalendarProvider>;

/**
 * What went wrong at a provider, in the core's words.
 * - `rate_limited`: wait `retryAfterMs` (the provider's `Retry-After`, or null for the caller's back-off).
 * - `grant_revoked`: the person withdrew consent (`invalid_grant`); stop calling, show "reconnect".
 * - `unauthorized`: the access token was refused; refresh once, then treat as revoked.
 * - `calendar_gone`: the person deleted the app's calendar; the connection needs a new one.
 * - `rejected`: the provider refused this request (4xx); retrying the same call cannot help.
 * - `unavailable`: 5xx or the network; retry later with back-off.
 */
export type ProviderErrorKind =
  'rate_limited' | 'grant_revoked' | 'unauthorized' | 'calendar_gone' | 'rejected' | 'unavailable';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
