import { z } from 'zod';
import { AppError } from '../../errors.js';

/** What Jira's token endpoint answers; `refresh_token` is a new one every time (rotation). */
const tokenResponseSchema = z.looseObject({
  access_token: z.string().regex(/^[\x21-\x7e]{1,4096}$/),
  refresh_token: z.string().regex(/^[\x21-\x7e]{1,4096}$/),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

const oauthErrorSchema = z.looseObject({ error: z.string(), error_description: z.string().optional() });

export type TokenGrant = { accessToken: string; refreshToken: string; expiresAt: number; scope: string };

/** Jira refused a grant (`invalid_grant`, `invalid_client`…): the code or refresh token is dead, not just late. */
export class GrantRefused extends Error {
  constructor(readonly error: string) {
    super(`Jira refused the OAuth grant (${error})`);
    this.name = 'GrantRefused';
  }
}

/** The narrowest Jira Data Center scope that reads issues, fields, filters, users and groups. */
export const DATACENTER_SCOPE = 'READ';
const TIMEOUT_MS = 10_000;

/**
 * Jira Data Center's OAuth 2.0 provider (8.22+, an incoming application link): authorization code with
 * PKCE, refresh with rotation, revocation. Tokens pass through here and are never logged or put in errors.
 */
export class DataCenterOAuth {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly options: {
      baseUrl: string;
      clientId: string;
      clientSecret: string;
      redirectUri: string;
      fetch?: typeof fetch;
      now?: () => number;
    },
  ) {
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  authorizeUrl(params: { state: string; codeChallenge: string }): string {
    const query = new URLSearchParams({
      client_id: this.options.clientId,
      redirect_uri: this.options.redirectUri,
      response_type: 'code',
      scope: DATACENTER_SCOPE,
      state: params.state,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
    });
    return `${this.options.baseUrl}/rest/oauth2/latest/authorize?${query.toString()}`;
  }

  exchangeCode(code: string, codeVerifier: string): Promise<TokenGrant> {
    return this.grant({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.options.redirectUri,
      code_verifier: codeVerifier,
    });
  }

  refresh(refreshToken: string): Promise<TokenGrant> {
    return this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** Best effort: a token Jira already dropped is as revoked as it gets. */
  async revoke(token: string): Promise<void> {
    await this.post('/rest/oauth2/latest/revoke', { token }).catch(() => undefined);
  }

  private async grant(params: Record<string, string>): Promise<TokenGrant> {
    const started = this.now();
    const { status, json } = await this.post('/rest/oauth2/latest/token', params);
    if (status >= 200 && status < 300) {
      const parsed = tokenResponseSchema.safeParse(json);
      if (!parsed.success)
        throw new AppError(
          502,
          'jira_bad_response',
          'Jira’s OAuth token endpoint sent something unexpected.',
          { retryable: true },
        );
      const token = parsed.data;
      return {
        accessToken: token.access_token,
        refreshToken: token.refresh_token,
        expiresAt: started + token.expires_in * 1000,
        scope: token.scope ?? DATACENTER_SCOPE,
      };
    }
    const error = oauthErrorSchema.safeParse(json);
    if (status === 400 || status === 401)
      throw new GrantRefused(error.success ? error.data.error.slice(0, 64) : `status ${status}`);
    throw new AppError(503, 'jira_unavailable', 'Jira’s OAuth token endpoint is not answering right now.', {
      retryable: true,
    });
  }

  private async post(
    path: string,
    params: Record<string, string>,
  ): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.options.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        // Jira Data Center takes the client's credentials as form parameters.
        body: new URLSearchParams({
          ...params,
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
        }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new AppError(503, 'jira_unavailable', 'Jira is not answering right now.', { retryable: true });
    }
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: the status decides
    }
    return { status: response.status, json };
  }
}
