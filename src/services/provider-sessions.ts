import type { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';
import type { FeedRepository } from '../db/feed-repository.js';
import type { TokenCipher } from '../db/token-cipher.js';
import {
  type CalendarChange,
  type CalendarProvider,
  type ChangeOutcome,
  ProviderError,
  type CalendarProviders,
} from '../domain/calendar-provider.js';
import { type CalendarConnection, connectionTokenContext } from '../domain/live-calendar.js';
import { type ProviderQuotas, QuotaWait } from '../domain/provider-quotas.js';
import type { ProviderBudgetRepository } from '../db/provider-budget-repository.js';

/** Access tokens are renewed this long before the provider says they expire. */
const EXPIRY_MARGIN_MS = 60_000;
/** Calls taken from the shared budget per trip to the database, at most: few trips, little left unused. */
const BUDGET_BATCH = 10;

/** How a provider call ended, for metrics: `ok`, the HTTP status, or `network` when there was none. */
export type CallStatus = 'ok' | number | 'network';

/** How many names ("Team", "Team (2)", …) a new calendar tries before the push gives up. */
const NAME_ATTEMPTS = 20;

type CalendarMeta = { name: string; description: string; timeZone: string };

/**
 * Creates the calendar under the first free name. A provider that keeps names unique (Graph's 409
 * ErrorFolderExists) refuses one already taken: by another feed of the same name, by the person, or by
 * this connection's own calendar left behind by a crash between creating it and recording its id.
 */
async function createWithFreeName<T>(
  meta: CalendarMeta,
  create: (calendar: CalendarMeta) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const name = attempt === 1 ? meta.name : `${meta.name} (${attempt})`;
    try {
      return await create({ ...meta, name });
    } catch (error) {
      const taken = error instanceof ProviderError && error.kind === 'rejected' && error.status === 409;
      if (!taken || attempt >= NAME_ATTEMPTS) throw error;
    }
  }
}

/** One push's calls to a provider for one connection: its access token, its calendar, and a call count. */
export type ProviderSession = {
  readonly calls: number;
  ensureCalendar(): Promise<string>;
  change(change: CalendarChange): Promise<ChangeOutcome>;
  find(uid: string): Promise<string | null>;
};

/**
 * Opens provider sessions for connections: access tokens from the sealed refresh token, kept in memory
 * until shortly before they expire; a token the provider refuses is renewed once before the grant counts
 * as withdrawn.
 */
export class ProviderSessions {
  private readonly tokens = new Map<string, { accessToken: string; expiresAt: number }>();

  constructor(
    private readonly deps: {
      providers: CalendarProviders;
      connections: CalendarConnectionRepository;
      feeds: FeedRepository;
      cipher: TokenCipher | null;
      now: () => Date;
      /** Null: calls are not paced (a single process with nothing else calling). */
      budget: ProviderBudgetRepository | null;
      quotas: ProviderQuotas;
      onCall?: (provider: CalendarProvider['key'], status: CallStatus) => void;
    },
  ) {}

  provider(connection: Pick<CalendarConnection, 'provider'>): CalendarProvider | null {
    return this.deps.providers.get(connection.provider) ?? null;
  }

  /** Remembers a token a connect just received, so the first push needs no refresh. */
  remember(connectionId: string, accessToken: string, expiresAt: Date): void {
    this.tokens.set(connectionId, { accessToken, expiresAt: expiresAt.getTime() });
  }

  forget(connectionId: string): void {
    this.tokens.delete(connectionId);
  }

  /** A fresh access token, refreshing the grant when needed; throws `grant_revoked` when it is gone. */
  async accessToken(connection: CalendarConnection, provider: CalendarProvider): Promise<string> {
    const cached = this.tokens.get(connection.id);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.deps.now().getTime()) return cached.accessToken;
    const sealed = await this.deps.connections.sealedToken(connection.clientKey, connection.id);
    const refreshToken = sealed && this.deps.cipher?.open(sealed, connectionTokenContext(connection));
    if (!refreshToken) throw new ProviderError('grant_revoked', 'no usable refresh token is stored');
    const grant = await provider.refreshGrant(refreshToken);
    this.remember(connection.id, grant.accessToken, grant.accessTokenExpiresAt);
    return grant.accessToken;
  }

  /**
   * A session for one push of about `planned` calls. Each call first spends from the shared budget; when
   * it is spent the call throws `QuotaWait` instead of being made.
   */
  open(connection: CalendarConnection, planned = 1): ProviderSession | null {
    const provider = this.provider(connection);
    if (!provider) return null;
    let calls = 0;
    let calendarId = connection.remoteCalendarId;
    const spend = this.spender(connection, provider, () => Math.max(1, planned - calls));
    const counted = async <T>(work: (token: string) => Promise<T>): Promise<T> => {
      await spend();
      const token = await this.accessToken(connection, provider);
      calls += 1;
      try {
        const result = await work(token);
        this.deps.onCall?.(provider.key, 'ok');
        return result;
      } catch (error) {
        if (error instanceof ProviderError) this.deps.onCall?.(provider.key, error.status ?? 'network');
        throw error;
      }
    };
    const call = async <T>(work: (token: string) => Promise<T>): Promise<T> => {
      try {
        return await counted(work);
      } catch (error) {
        if (!(error instanceof ProviderError) || error.kind !== 'unauthorized') throw error;
        this.forget(connection.id);
        return counted(work);
      }
    };
    const ensureCalendar = async (): Promise<string> => {
      if (calendarId) return calendarId;
      const meta = await this.calendarMeta(connection);
      const created = await createWithFreeName(meta, (calendar) =>
        call((token) => provider.createCalendar(token, calendar)),
      );
      calendarId = created.remoteId;
      await this.deps.connections.update(connection.clientKey, connection.id, {
        remoteCalendarId: calendarId,
      });
      return calendarId;
    };
    return {
      get calls() {
        return calls;
      },
      ensureCalendar,
      change: async (change) => {
        const id = await ensureCalendar();
        return call((token) => provider.applyChange(token, id, change));
      },
      find: async (uid) => {
        const id = await ensureCalendar();
        return call((token) => provider.findEvent(token, id, uid));
      },
    };
  }

  /** Spends one call from the shared budget, fetching a few at a time; throws `QuotaWait` when spent. */
  private spender(connection: CalendarConnection, provider: CalendarProvider, ahead: () => number) {
    let allowance = 0;
    return async (): Promise<void> => {
      const budget = this.deps.budget;
      if (!budget) return;
      if (allowance === 0) {
        const caller = { provider: provider.key, accountId: connection.accountId, quotas: this.deps.quotas };
        const grant = await budget.take(connection.clientKey, caller, Math.min(BUDGET_BATCH, ahead()));
        if (grant.granted === 0) throw new QuotaWait(grant.waitMs);
        allowance = grant.granted;
      }
      allowance -= 1;
    };
  }

  private async calendarMeta(connection: CalendarConnection): Promise<CalendarMeta> {
    const feed = await this.deps.feeds.findById(connection.clientKey, connection.feedId);
    const name = feed?.name ?? 'Jira';
    return {
      name: connection.calendar === 'mine' ? `${name} — my items` : name,
      description: 'Kept up to date from Jira by Calendar Sync. Changes made here are overwritten.',
      timeZone: 'UTC',
    };
  }
}
