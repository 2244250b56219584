import type { Knex } from 'knex';

/**
 * A third door: a self-managed Jira Data Center instance. Like Forge it has no shared secret; its REST
 * API lives at `api_base_url` (the instance's own URL) and every call carries a signed-in user's token.
 */
export async function up(knex: Knex): Promise<void> {
  const doorChecks = await knex.raw<{ rows: { conname: string }[] }>(
    `SELECT conname FROM pg_constraint
      WHERE conrelid = 'installations'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%door%'
        AND conname <> 'installations_credentials_state'`,
  );
  for (const { conname } of doorChecks.rows)
    await knex.raw('ALTER TABLE installations DROP CONSTRAINT ??', [conname]);
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_door CHECK (door IN ('connect', 'forge', 'datacenter'))`,
  );
  await knex.raw('ALTER TABLE installations DROP CONSTRAINT installations_credentials_state');
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_credentials_state CHECK (
       CASE door
         WHEN 'connect' THEN (state = 'installed') = (shared_secret IS NOT NULL) AND cloud_id IS NULL AND api_base_url IS NULL
         WHEN 'forge' THEN shared_secret IS NULL AND (state = 'installed') = (cloud_id IS NOT NULL AND api_base_url IS NOT NULL)
         ELSE shared_secret IS NULL AND cloud_id IS NULL AND (state = 'installed') = (api_base_url IS NOT NULL)
       END)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DELETE FROM installations WHERE door = 'datacenter'");
  await knex.raw('ALTER TABLE installations DROP CONSTRAINT installations_credentials_state');
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_credentials_state CHECK (
       CASE door
         WHEN 'connect' THEN (state = 'installed') = (shared_secret IS NOT NULL) AND cloud_id IS NULL AND api_base_url IS NULL
         ELSE shared_secret IS NULL AND (state = 'installed') = (cloud_id IS NOT NULL AND api_base_url IS NOT NULL)
       END)`,
  );
  await knex.raw('ALTER TABLE installations DROP CONSTRAINT installations_door');
  await knex.raw(
    `ALTER TABLE installations ADD CONSTRAINT installations_door CHECK (door IN ('connect', 'forge'))`,
  );
}
