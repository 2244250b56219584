import type { CalendarConnectionRepository } from '../db/calendar-connection-repository.js';

export type CalendarPushQueue = {
  enqueueCalendarPush(clientKey: string, connectionId: string, runAt?: Date): Promise<void>;
};

/**
 * Where the core says "what a personal URL serves may have changed": each live calendar it could concern
 * gets a push job (keyed per connection, so a burst of changes is one push). A push that finds nothing to
 * change calls no provider, so erring towards more pushes costs only a few queries.
 */
export class LiveCalendarTriggers {
  constructor(
    private readonly deps: { connections: CalendarConnectionRepository; queue: CalendarPushQueue },
  ) {}

  /** A sync changed a feed's events, or the feed or its access rules changed or went. */
  async feedChanged(clientKey: string, feedId: string): Promise<void> {
    await this.pushAll(await this.deps.connections.listLive(clientKey, { feedId }));
  }

  /** One person's access may have changed (groups, roles, a revoked URL). */
  async accountChanged(clientKey: string, accountId: string): Promise<void> {
    await this.pushAll(await this.deps.connections.listLive(clientKey, { accountId }));
  }

  /** A site-wide access refresh ran. */
  async siteChanged(clientKey: string): Promise<void> {
    await this.pushAll(await this.deps.connections.listLive(clientKey));
  }

  private async pushAll(connections: { clientKey: string; id: string }[]): Promise<void> {
    for (const connection of connections)
      await this.deps.queue.enqueueCalendarPush(connection.clientKey, connection.id);
  }
}
