import type { Knex } from 'knex';

type ConnectStoreRow = { client_key: string; key: string; value: unknown };

/** Free-form keys ACE keeps per site; rows go with the installation (foreign key, cascade). */
export class ConnectStoreRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string) {
    return this.knex<ConnectStoreRow>('connect_store').where({ client_key: clientKey });
  }

  async findValue(clientKey: string, key: string): Promise<unknown> {
    const row = await this.scoped(clientKey).andWhere({ key }).first();
    return row ? row.value : null;
  }

  async setValue(clientKey: string, key: string, value: unknown): Promise<void> {
    await this.knex<ConnectStoreRow>('connect_store')
      .insert({ client_key: clientKey, key, value: JSON.stringify(value) })
      .onConflict(['client_key', 'key'])
      .merge();
  }

  async deleteValue(clientKey: string, key: string): Promise<void> {
    await this.scoped(clientKey).andWhere({ key }).delete();
  }
}
