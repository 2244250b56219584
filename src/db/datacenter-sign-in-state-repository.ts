import type { Knex } from 'knex';

type StateRow = { client_key: string; state_sha256: string; expires_at: Date };

/** The `state` of every Data Center sign-in that completed, until it would have expired anyway. */
export class DataCenterSignInStateRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<StateRow>('datacenter_sign_in_states').where({ client_key: clientKey });
  }

  /** True the first time a state is used; false for every later use (a replayed callback). */
  async consume(clientKey: string, stateSha256: string, expiresAt: Date, now: Date): Promise<boolean> {
    await this.scoped(clientKey).andWhere('expires_at', '<=', now).delete();
    const inserted = await this.knex<StateRow>('datacenter_sign_in_states')
      .insert({ client_key: clientKey, state_sha256: stateSha256, expires_at: expiresAt })
      .onConflict(['client_key', 'state_sha256'])
      .ignore()
      .returning('state_sha256');
    return inserted.length === 1;
  }
}
