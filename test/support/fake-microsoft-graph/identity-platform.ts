import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Delegated scopes the fake knows, in the short form Graph's own permissions are written in. */
const KNOWN_SCOPES = new Set([
  'Calendars.Read',
  'Calendars.ReadWrite',
  'User.Read',
  'offline_access',
  'openid',
  'profile',
  'email',
]);
const GRAPH_RESOURCE = 'https://graph.microsoft.com/';
const CODE_LIFETIME_MS = 10 * 60_000;
export const ACCESS_TOKEN_LIFETIME_S = 3599;

export type IdentityConfig = {
  clientId: string;
  clientSecret: string;
  /** Redirect URIs registered for the app; any other is refused with AADSTS50011. */
  redirectUris: string[];
  now: () => number;
};

export type Grant = { id: string; userId: string; scopes: string[]; revoked: boolean };
export type AccessToken = { grant: Grant; expiresAt: number };
type IssuedCode = {
  grant: Grant;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
  redeemed: boolean;
};
export type SignIn = { userId: string; consent: 'grant' | 'deny' };
export type IdentityReply = {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
};

/** What the identity platform knows about one authorize request, before the person signs in. */
type AuthorizeParams = {
  redirectUri: string;
  state: string | null;
  scopes: string[];
  codeChallenge: string;
};

/**
 * The Microsoft identity platform v2.0 as an app with a client secret sees it: `/authorize` signs the
 * next person in at once (no page) and redirects with a code or `access_denied`; `/token` redeems a code
 * against its PKCE verifier, and a refresh token for a new pair (refresh tokens rotate: every answer holds
 * a new one, the old one stays valid until revoked, as Microsoft's do). Errors use AADSTS codes.
 */
export class IdentityPlatform {
  readonly codes = new Map<string, IssuedCode>();
  readonly refreshTokens = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly grants: Grant[] = [];
  /** Who signs in at the next authorize request, and whether they consent. */
  nextSignIn: SignIn | null = null;

  constructor(
    private readonly config: IdentityConfig,
    private readonly defaultUserId: () => string,
  ) {}

  authorize(query: URLSearchParams): IdentityReply {
    const parsed = this.readAuthorize(query);
    if ('page' in parsed) return { status: 400, body: parsed.page };
    if ('redirect' in parsed) return redirect(parsed.redirect);
    const signIn = this.nextSignIn ?? { userId: this.defaultUserId(), consent: 'grant' };
    this.nextSignIn = null;
    const back = new URL(parsed.redirectUri);
    if (signIn.consent === 'deny') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
    } else {
      const grant: Grant = { id: randomUUID(), userId: signIn.userId, scopes: parsed.scopes, revoked: false };
      this.grants.push(grant);
      const code = `M.C${randomBytes(24).toString('base64url')}`;
      this.codes.set(code, {
        grant,
        redirectUri: parsed.redirectUri,
        codeChallenge: parsed.codeChallenge,
        expiresAt: this.config.now() + CODE_LIFETIME_MS,
        redeemed: false,
      });
      back.searchParams.set('code', code);
    }
    if (parsed.state !== null) back.searchParams.set('state', parsed.state);
    return redirect(back.toString());
  }

  private readAuthorize(query: URLSearchParams): AuthorizeParams | { page: string } | { redirect: string } {
    if (query.get('client_id') !== this.config.clientId)
      return { page: 'AADSTS700016: Application not found in the directory.' };
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!this.config.redirectUris.includes(redirectUri))
      return { page: 'AADSTS50011: The redirect URI specified in the request does not match.' };
    const state = query.get('state');
    const fail = (error: string, description: string) => {
      const back = new URL(redirectUri);
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (state !== null) back.searchParams.set('state', state);
      return { redirect: back.toString() };
    };
    if (query.get('response_type') !== 'code')
      return fail('unsupported_response_type', 'AADSTS70005: response_type is not supported.');
    const challenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
      return fail(
        'invalid_request',
        'AADSTS501491: Invalid size of Code_Challenge parameter or method not S256.',
      );
    const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean).map(shortScope);
    if (scopes.length === 0 || scopes.some((scope) => !KNOWN_SCOPES.has(scope)))
      return fail(
        'invalid_scope',
        "AADSTS70011: The provided value for the input parameter 'scope' is not valid.",
      );
    return { redirectUri, state, scopes, codeChallenge: challenge };
  }

  token(contentType: string | undefined, rawBody: string, authorization: string | undefined): IdentityReply {
    if (!(contentType ?? '').startsWith('application/x-www-form-urlencoded'))
      return aadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    const form = new URLSearchParams(rawBody);
    const client = clientCredentials(form, authorization);
    if (client.id !== this.config.clientId)
      return aadError(400, 'unauthorized_client', 700016, 'Application not found in the directory.');
    if (client.secret !== this.config.clientSecret)
      return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.redeemCode(form);
    if (grantType === 'refresh_token') return this.redeemRefreshToken(form);
    return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }

  private redeemCode(form: URLSearchParams): IdentityReply {
    const issued = this.codes.get(form.get('code') ?? '');
    if (!issued || issued.expiresAt < this.config.now())
      return aadError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired.',
      );
    if (issued.redeemed)
      return aadError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed.');
    issued.redeemed = true;
    if (form.get('redirect_uri') !== issued.redirectUri)
      return aadError(
        400,
        'invalid_grant',
        50148,
        'The redirect_uri does not match the one in the authorization request.',
      );
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge)
      return aadError(
        400,
        'invalid_grant',
        501481,
        'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
      );
    if (issued.grant.revoked)
      return aadError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked.');
    return this.issueTokens(issued.grant);
  }

  private redeemRefreshToken(form: URLSearchParams): IdentityReply {
    const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!grant)
      return aadError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (grant.revoked)
      return aadError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked.');
    return this.issueTokens(grant);
  }

  private issueTokens(grant: Grant): IdentityReply {
    const accessToken = `eyJ0eXAi.${randomBytes(32).toString('base64url')}`;
    this.accessTokens.set(accessToken, {
      grant,
      expiresAt: this.config.now() + ACCESS_TOKEN_LIFETIME_S * 1000,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      // Microsoft names Graph's permissions by their full URI here and leaves offline_access out.
      scope: grant.scopes
        .filter((scope) => scope !== 'offline_access')
        .map((scope) => (/^[A-Z]/.test(scope) ? GRAPH_RESOURCE + scope : scope))
        .join(' '),
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
      access_token: accessToken,
    };
    if (grant.scopes.includes('offline_access')) {
      const refreshToken = `M.R3_${randomBytes(48).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, grant);
      body['refresh_token'] = refreshToken;
    }
    return { status: 200, headers: { 'cache-control': 'no-store' }, body };
  }

  /** A token issued outside the authorize flow, for tests that need a particular scope or lifetime. */
  issueAccessToken(userId: string, scopes: string[], lifetimeMs = ACCESS_TOKEN_LIFETIME_S * 1000): string {
    const grant: Grant = { id: randomUUID(), userId, scopes, revoked: false };
    this.grants.push(grant);
    const token = `eyJ0eXAi.${randomBytes(32).toString('base64url')}`;
    this.accessTokens.set(token, { grant, expiresAt: this.config.now() + lifetimeMs });
    return token;
  }

  /** The live grant behind a bearer token, or why Graph refuses it. */
  authenticate(authorization: string | undefined): Grant | { refused: string } {
    const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
    if (!match?.[1]) return { refused: 'Access token is empty.' };
    const token = this.accessTokens.get(match[1]);
    if (!token) return { refused: 'IDX14100: JWT is not well formed.' };
    if (token.expiresAt <= this.config.now())
      return { refused: 'Lifetime validation failed, the token is expired.' };
    if (token.grant.revoked) return { refused: 'Continuous access evaluation resulted in claims challenge.' };
    return token.grant;
  }
}

function shortScope(scope: string): string {
  return scope.startsWith(GRAPH_RESOURCE) ? scope.slice(GRAPH_RESOURCE.length) : scope;
}

function clientCredentials(
  form: URLSearchParams,
  authorization: string | undefined,
): { id: string | null; secret: string | null } {
  const basic = /^Basic (\S+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }
  return { id: form.get('client_id'), secret: form.get('client_secret') };
}

function redirect(location: string): IdentityReply {
  return { status: 302, headers: { location } };
}

function aadError(status: number, error: string, code: number, text: string): IdentityReply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
