import type { ForgeTokenRepository } from '../../db/forge-token-repository.js';
import type { ActiveInstallation, ForgeCredentials } from '../../domain/installation.js';
import { AppError } from '../../errors.js';
import type { JiraAuth } from '../../jira/jira-auth.js';

/** A token this close to its expiry is not used: a sync of many pages must not die half-way. */
const EXPIRY_MARGIN_MS = 60_000;

export const forgeTokenMissing = (): AppError =>
  new AppError(
    503,
    'forge_token_missing',
    'Waiting for Jira to hand the app a token. Forge sends one with its hourly check-in and whenever someone opens a Calendar Sync page; the last good calendar is served meanwhile.',
  );

/**
 * Forge: Jira is reached through `apiBaseUrl` with the installation's system token, read from the store
 * (Forge hands tokens only inside invocations and has no refresh endpoint).
 */
export function forgeJiraAuth(
  installation: ActiveInstallation & { credentials: ForgeCredentials },
  options: { tokens: ForgeTokenRepository; now?: () => number },
): JiraAuth {
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | null = null;
  return {
    apiBaseUrl: installation.credentials.apiBaseUrl,
    async authorization() {
      if (!cached || cached.expiresAt - EXPIRY_MARGIN_MS <= now()) {
        const stored = await options.tokens.find(installation.clientKey);
        cached = stored ? { token: stored.token, expiresAt: stored.expiresAt.getTime() } : null;
      }
      if (!cached || cached.expiresAt - EXPIRY_MARGIN_MS <= now()) throw forgeTokenMissing();
      return `Bearer ${cached.token}`;
    },
    // A token Jira refuses is dropped, so the next invocation's token is stored whatever expiry it claims.
    async rejected(authorization) {
      const token = authorization.replace(/^Bearer /, '');
      if (cached?.token === token) cached = null;
      await options.tokens.dropIfCurrent(installation.clientKey, token);
    },
  };
}
