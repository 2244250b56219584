import type { Knex } from 'knex';

type SweepRow = {
  client_key: string;
  cursor: string | null;
  started_at: Date | null;
  finished_at: Date | null;
};

export type UserSweep = { cursor: string | null; startedAt: Date | null; finishedAt: Date | null };

/** Each installation's place in its sweep of stored users. */
export class UserSweepRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<SweepRow>('user_sweeps').where({ client_key: clientKey });
  }

  async find(clientKey: string): Promise<UserSweep | null> {
    const row = await this.scoped(clientKey).first();
    return row ? { cursor: row.cursor, startedAt: row.started_at, finishedAt: row.finished_at } : null;
  }

  /** A new pass from the first account, unless one is under way. */
  async start(clientKey: string, now: Date): Promise<void> {
    await this.knex<SweepRow>('user_sweeps')
      .insert({ client_key: clientKey, cursor: null, started_at: now, finished_at: null })
      .onConflict('client_key')
      .merge({ cursor: null, started_at: now, finished_at: null });
  }

  async advance(clientKey: string, cursor: string): Promise<void> {
    await this.scoped(clientKey).update({ cursor });
  }

  async finish(clientKey: string, now: Date): Promise<void> {
    await this.scoped(clientKey).update({ cursor: null, finished_at: now });
  }
}
