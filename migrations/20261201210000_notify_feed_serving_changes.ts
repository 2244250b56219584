import type { Knex } from 'knex';

/**
 * Every write that can change what a feed URL serves notifies `calendar_sync_serving`, so each app process
 * can drop what it holds in memory for that site, feed or subscription. Triggers rather than app code, so
 * no write path can forget; PostgreSQL sends the notification at commit and merges duplicates per transaction.
 */
const CHANNEL = 'calendar_sync_serving';

const FUNCTIONS: Record<string, string> = {
  calendar_sync_notify_site: `json_build_object('c', COALESCE(NEW.client_key, OLD.client_key))`,
  calendar_sync_notify_feed: `json_build_object('c', COALESCE(NEW.client_key, OLD.client_key), 'f', COALESCE(NEW.feed_id, OLD.feed_id))`,
  calendar_sync_notify_subscription: `json_build_object('c', COALESCE(NEW.client_key, OLD.client_key), 's', COALESCE(NEW.subscription_id, OLD.subscription_id))`,
};

const TRIGGERS: { table: string; fn: string; events: string }[] = [
  { table: 'installations', fn: 'calendar_sync_notify_site', events: 'UPDATE OR DELETE' },
  { table: 'site_settings', fn: 'calendar_sync_notify_site', events: 'INSERT OR UPDATE OR DELETE' },
  { table: 'feed_renders', fn: 'calendar_sync_notify_feed', events: 'INSERT OR UPDATE OR DELETE' },
  // Fetch statistics update other columns of this table all the time; they change nothing served.
  {
    table: 'feed_subscriptions',
    fn: 'calendar_sync_notify_feed',
    events: 'UPDATE OF revoked_at, token_hash, token_nonce, feed_id, calendar OR DELETE',
  },
  {
    table: 'subscription_access',
    fn: 'calendar_sync_notify_subscription',
    events: 'INSERT OR UPDATE OR DELETE',
  },
];

export async function up(knex: Knex): Promise<void> {
  for (const [name, payload] of Object.entries(FUNCTIONS)) {
    await knex.raw(`
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${CHANNEL}', ${payload}::text);
        RETURN NULL;
      END $$`);
  }
  for (const { table, fn, events } of TRIGGERS) {
    await knex.raw(
      `CREATE TRIGGER ${table}_notify_serving AFTER ${events} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const { table } of TRIGGERS)
    await knex.raw(`DROP TRIGGER IF EXISTS ${table}_notify_serving ON ${table}`);
  for (const name of Object.keys(FUNCTIONS)) await knex.raw(`DROP FUNCTION IF EXISTS ${name}()`);
}
