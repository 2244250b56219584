import { createHash, randomBytes } from 'node:crypto';

export const APP_CREATED_SCOPE = 'https://www.googleapis.com/auth/calendar.app.created';

export type OAuthReply = { status: number; headers?: Record<string, string>; body?: unknown };

type PendingCode = {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  user: string;
  scopes: string[];
  expiresAt: number;
};
type Grant = { clientId: string; user: string; scopes: string[]; refreshToken: string; revoked: boolean };
type AccessToken = { grant: Grant; expiresAt: number };

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const oauthError = (status: number, error: string, description: string): OAuthReply => ({
  status,
  body: { error, error_description: description },
});

/**
 * Google's OAuth 2.0 for web server apps, as its documentation states it: the authorize endpoint takes
 * `client_id`, `redirect_uri`, `response_type=code`, `scope`, `state`, `code_challenge` (S256 only here)
 * and `access_type=offline`; codes are single-use for ten minutes; the token endpoint takes the
 * `authorization_code` and `refresh_token` grants (a refresh answer carries no new refresh token);
 * revoking either token ends the grant, and a revoked grant answers `invalid_grant`.
 */
export class FakeGoogleOAuth {
  /** Who consents on the next authorize request; `null` denies it (access_denied). */
  nextUser: string | null = 'person@example.com';
  private readonly codes = new Map<string, PendingCode>();
  private readonly usedCodes: string[] = [];
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessToken>();

  constructor(
    private readonly client: { clientId: string; clientSecret: string },
    private readonly now: () => number = Date.now,
  ) {}

  authorize(query: URLSearchParams): OAuthReply {
    const redirectUri = query.get('redirect_uri');
    if (query.get('client_id') !== this.client.clientId || !redirectUri)
      return { status: 400, body: 'Error 400: invalid_request (client_id or redirect_uri)' };
    const back = (params: Record<string, string>): OAuthReply => {
      const url = new URL(redirectUri);
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return { status: 302, headers: { location: url.toString() } };
    };
    const state = query.get('state') ?? '';
    const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
    const challenge = query.get('code_challenge');
    if (
      query.get('response_type') !== 'code' ||
      scopes.length === 0 ||
      !challenge ||
      !/^[A-Za-z0-9_-]{43}$/.test(challenge) ||
      query.get('code_challenge_method') !== 'S256' ||
      query.get('access_type') !== 'offline'
    )
      return back({ error: 'invalid_request', state });
    const user = this.nextUser;
    if (user === null) return back({ error: 'access_denied', state });
    const code = token('4/');
    this.codes.set(code, {
      clientId: this.client.clientId,
      redirectUri,
      codeChallenge: challenge,
      user,
      scopes,
      expiresAt: this.now() + 10 * 60_000,
    });
    return back({ code, state, scope: scopes.join(' ') });
  }

  token(form: URLSearchParams): OAuthReply {
    if (
      form.get('client_id') !== this.client.clientId ||
      form.get('client_secret') !== this.client.clientSecret
    )
      return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.exchange(form);
    if (grantType === 'refresh_token') return this.refresh(form.get('refresh_token') ?? '');
    return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
  }

  revoke(form: URLSearchParams): OAuthReply {
    const value = form.get('token') ?? '';
    const grant = this.grants.get(value) ?? this.accessTokens.get(value)?.grant;
    if (!grant || grant.revoked) return oauthError(400, 'invalid_token', 'Token expired or revoked');
    grant.revoked = true;
    return { status: 200, body: {} };
  }

  /** The person withdrew the app's access in their Google account. */
  revokeUser(user: string): void {
    for (const grant of this.grants.values()) if (grant.user === user) grant.revoked = true;
  }

  /** The grant behind a bearer token, or why it is refused. */
  bearer(authorization: string | undefined): { user: string; scopes: string[] } | null {
    const value = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const found = value ? this.accessTokens.get(value) : undefined;
    if (!found || found.grant.revoked || found.expiresAt <= this.now()) return null;
    return { user: found.grant.user, scopes: found.grant.scopes };
  }

  /** Refresh tokens of `user` that still work. */
  liveGrants(user: string): number {
    return [...this.grants.values()].filter((grant) => grant.user === user && !grant.revoked).length;
  }

  /** Every code and token handed out, for tests that look for them where they must not be. */
  issuedSecrets(): string[] {
    return [...this.codes.keys(), ...this.usedCodes, ...this.grants.keys(), ...this.accessTokens.keys()];
  }

  /** Every access token handed out expires now: the next call must refresh. */
  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.expiresAt = 0;
  }

  private exchange(form: URLSearchParams): OAuthReply {
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code);
    if (pending) this.usedCodes.push(code);
    if (!pending || pending.expiresAt <= this.now())
      return oauthError(400, 'invalid_grant', 'Malformed auth code.');
    if (form.get('redirect_uri') !== pending.redirectUri)
      return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || challenge !== pending.codeChallenge)
      return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
    const grant: Grant = {
      clientId: pending.clientId,
      user: pending.user,
      scopes: pending.scopes,
      refreshToken: token('1//'),
      revoked: false,
    };
    this.grants.set(grant.refreshToken, grant);
    return { status: 200, body: { ...this.issue(grant), refresh_token: grant.refreshToken } };
  }

  private refresh(refreshToken: string): OAuthReply {
    const grant = this.grants.get(refreshToken);
    if (!grant || grant.revoked)
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    return { status: 200, body: this.issue(grant) };
  }

  private issue(grant: Grant) {
    const accessToken = token('ya29.');
    this.accessTokens.set(accessToken, { grant, expiresAt: this.now() + 3600_000 });
    return {
      access_token: accessToken,
      expires_in: 3599,
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    };
  }
}
