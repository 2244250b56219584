import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { CalendarConnectAttemptRepository } from '../db/calendar-connect-attempt-repository.js';
import type { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';
import type { CalendarPushedEventRepository } from '../db/calendar-pushed-event-repository.js';
import type { TokenCipher } from '../db/token-cipher.js';
import { type CalendarProviders, type ProviderKey, ProviderError } from '../domain/calendar-provider.js';
import { type CalendarConnection, connectionTokenContext } from '../domain/live-calendar.js';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';
import type { CalendarPushQueue } from './live-calendar-triggers.js';
import type { MyCalendarsService } from './my-calendars-service.js';
import type { ProviderSessions } from './provider-sessions.js';

/** How long a person has on the provider's consent page. */
const ATTEMPT_TTL_MS = 10 * 60_000;
const STATE_CONTEXT = 'calendar-connect-state';
const VERIFIER_CONTEXT = (clientKey: string, accountId: string) =>
  `calendar-connect-verifier:${clientKey}:${accountId}`;

/** Why a callback did not connect, in words for the page the person sees. */
export class ConnectFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConnectFailed';
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Connecting, listing and disconnecting live calendars: the people's side of live push. */
export class LiveCalendarService {
  constructor(
    private readonly deps: {
      providers: CalendarProviders;
      sessions: ProviderSessions;
      connections: CalendarConnectionRepository;
      pushed: CalendarPushedEventRepository;
      attempts: CalendarConnectAttemptRepository;
      myCalendars: MyCalendarsService;
      cipher: TokenCipher | null;
      queue: CalendarPushQueue;
      baseUrl: string;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  providers(): { key: ProviderKey; label: string }[] {
    return [...this.deps.providers.values()].map((provider) => ({
      key: provider.key,
      label: provider.label,
    }));
  }

  redirectUri(provider: ProviderKey): string {
    return `${this.deps.baseUrl}/live-calendars/${provider}/callback`;
  }

  /** The provider's consent page for one of the actor's personal calendars. */
  async startConnect(actor: Actor, feedId: string, calendar: string, providerKey: string): Promise<string> {
    const provider = this.deps.providers.get(providerKey as ProviderKey);
    const cipher = this.deps.cipher;
    if (!provider || !cipher) throw notFound('Calendar provider');
    const personal = await this.deps.myCalendars.find(actor, feedId, calendar);
    const verifier = randomBytes(32).toString('base64url');
    // The state carries the site sealed, so the callback can scope its look-up without trusting the query.
    const state = cipher
      .seal(JSON.stringify({ c: actor.clientKey, n: randomBytes(16).toString('base64url') }), STATE_CONTEXT)
      .toString('base64url');
    const now = this.deps.now();
    await this.deps.attempts.create(
      actor.clientKey,
      {
        stateSha256: sha256(state),
        accountId: actor.accountId,
        feedId: personal.feed.id,
        calendar: personal.calendar,
        provider: provider.key,
        verifierSealed: cipher.seal(verifier, VERIFIER_CONTEXT(actor.clientKey, actor.accountId)),
        expiresAt: new Date(now.getTime() + ATTEMPT_TTL_MS),
      },
      now,
    );
    return provider.authorizationUrl({
      state,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      redirectUri: this.redirectUri(provider.key),
    });
  }

  /** The provider sent the person back: finish the connect, or say why not. */
  async completeConnect(
    providerKey: string,
    query: { state: string; code?: string | undefined; error?: string | undefined },
  ): Promise<CalendarConnection> {
    const provider = this.deps.providers.get(providerKey as ProviderKey);
    const cipher = this.deps.cipher;
    if (!provider || !cipher) throw new ConnectFailed('This calendar provider is not set up on this server.');
    const clientKey = this.siteOf(query.state);
    const attempt = clientKey
      ? await this.deps.attempts.consume(clientKey, sha256(query.state), this.deps.now())
      : null;
    if (!clientKey || !attempt || attempt.provider !== provider.key)
      throw new ConnectFailed('This link has expired or was already used. Start again from "My calendars".');
    if (query.error !== undefined || query.code === undefined)
      throw new ConnectFailed(`${provider.label} did not grant access, so nothing was connected.`);
    const verifier = cipher.open(attempt.verifierSealed, VERIFIER_CONTEXT(clientKey, attempt.accountId));
    if (!verifier) throw new ConnectFailed('This link has expired. Start again from "My calendars".');
    const grant = await provider
      .exchangeCode(query.code, verifier, this.redirectUri(provider.key))
      .catch((error: unknown) => {
        this.deps.logger.warn(
          {
            clientKey,
            provider: provider.key,
            kind: error instanceof ProviderError ? error.kind : 'unknown',
          },
          'live calendar connect: code exchange failed',
        );
        throw new ConnectFailed(`${provider.label} did not confirm the connection. Please try again.`);
      });
    if (!grant.refreshToken)
      throw new ConnectFailed(`${provider.label} granted no lasting access. Please try again.`);
    const key = {
      accountId: attempt.accountId,
      feedId: attempt.feedId,
      calendar: attempt.calendar,
      provider: provider.key,
    };
    const earlier = await this.deps.connections.findFor(clientKey, key);
    const id = earlier?.id ?? randomUUID();
    const connection = { ...key, id, clientKey };
    await this.deps.connections.saveConnected(
      clientKey,
      {
        ...key,
        id,
        subscriptionId: earlier?.subscriptionId ?? null,
        remoteCalendarId: earlier?.remoteCalendarId ?? null,
        createdAt: earlier?.createdAt ?? this.deps.now(),
      },
      cipher.seal(grant.refreshToken, connectionTokenContext(connection)),
    );
    this.deps.sessions.remember(id, grant.accessToken, grant.accessTokenExpiresAt);
    await this.deps.queue.enqueueCalendarPush(clientKey, id);
    const saved = await this.deps.connections.findById(clientKey, id);
    if (!saved) throw new ConnectFailed('The connection could not be saved. Please try again.');
    return saved;
  }

  async list(actor: Actor): Promise<CalendarConnection[]> {
    return this.deps.connections.listForAccount(actor.clientKey, actor.accountId);
  }

  /** Deletes the app's calendar at the provider, withdraws the grant and erases the token. */
  async disconnect(actor: Actor, connectionId: string): Promise<void> {
    const connection = await this.deps.connections.findById(actor.clientKey, connectionId);
    if (!connection || connection.accountId !== actor.accountId) throw notFound('Live calendar');
    const provider = this.deps.sessions.provider(connection);
    if (provider && connection.state !== 'broken') await this.cleanUpRemote(connection);
    this.deps.sessions.forget(connection.id);
    await this.deps.connections.delete(actor.clientKey, connection.id);
  }

  private async cleanUpRemote(connection: CalendarConnection): Promise<void> {
    const provider = this.deps.sessions.provider(connection);
    if (!provider) return;
    try {
      const token = await this.deps.sessions.accessToken(connection, provider);
      if (connection.remoteCalendarId) await provider.deleteCalendar(token, connection.remoteCalendarId);
      const sealed = await this.deps.connections.sealedToken(connection.clientKey, connection.id);
      const refreshToken = sealed && this.deps.cipher?.open(sealed, connectionTokenContext(connection));
      if (refreshToken) await provider.revokeGrant(refreshToken);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'grant_revoked') return;
      if (error instanceof ProviderError)
        throw new AppError(502, 'provider_unavailable', `${provider.label} could not be reached; try again`, {
          retryable: true,
        });
      throw error;
    }
  }

  private siteOf(state: string): string | null {
    if (!/^[A-Za-z0-9_-]{20,400}$/.test(state)) return null;
    const opened = this.deps.cipher?.open(Buffer.from(state, 'base64url'), STATE_CONTEXT);
    if (!opened) return null;
    try {
      const value = JSON.parse(opened) as { c?: unknown };
      return typeof value.c === 'string' ? value.c : null;
    } catch {
      return null;
    }
  }
}
