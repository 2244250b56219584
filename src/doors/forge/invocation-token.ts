import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { apiHostMatches } from './api-hosts.js';

export const FIT_ISSUER = 'forge/invocation-token';
const INSTALLATION_ID =
  /^ari:cloud:ecosystem::installation\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const API_BASE_PATH = /^\/ex\/jira\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const claimsSchema = z.object({
  app: z.object({
    id: z.string(),
    installationId: z.string().regex(INSTALLATION_ID, 'is not a Forge installation id'),
    apiBaseUrl: z.url({ protocol: /^https?$/ }),
    appVersion: z.string().max(100).optional(),
    module: z
      .object({ type: z.string().max(200).optional(), key: z.string().max(200).optional() })
      .optional(),
  }),
  context: z
    .object({
      cloudId: z.string().max(100).optional(),
      siteUrl: z.url({ protocol: /^https?$/ }).optional(),
      moduleKey: z.string().max(200).optional(),
    })
    .optional(),
  principal: z.string().min(1).max(128).optional(),
});

/** What a verified Forge Invocation Token says about the call. */
export type ForgeInvocation = {
  installationId: string;
  cloudId: string;
  apiBaseUrl: string;
  siteUrl: string | null;
  /** The signed-in user of a UI invocation; absent on events and triggers. */
  accountId: string | null;
  moduleKey: string | null;
  /** The module Forge signed the invocation for: a UI module, or `core:endpoint` with the endpoint's key. */
  module: { type: string; key: string } | null;
  appVersion: string | null;
};

export const invalidInvocation = (message: string): AppError => new AppError(401, 'unauthorized', message);

/**
 * Verifies Forge Invocation Tokens: RS256 under a key of Forge's JWKS (fetched once and cached across
 * requests; an unknown kid refetches at most once per cooldown), issuer, audience = this app, expiry,
 * and `app.id`. Anything else is a 401, the one status Forge reserves for a token the remote refused.
 */
export class InvocationTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly options: {
      appId: string;
      jwksUrl: string;
      apiHosts: string[];
      /** Only outside production: the fake Forge platform serves plain HTTP on loopback. */
      allowHttp: boolean;
      now?: () => Date;
    },
  ) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }

  async verify(token: string): Promise<ForgeInvocation> {
    return this.readInvocation(await this.verifySignature(token));
  }

  /** The token's signature, issuer, audience and lifetime; its payload, not yet read. */
  private async verifySignature(token: string): Promise<unknown> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: FIT_ISSUER,
        audience: this.options.appId,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat'],
        clockTolerance: 30,
        ...(this.options.now ? { currentDate: this.options.now() } : {}),
      });
      return payload;
    } catch (error) {
      // Forge's key set out of reach says nothing about the token: a retryable 503, not a refusal.
      if (
        error instanceof errors.JWKSTimeout ||
        (error instanceof TypeError && /fetch/i.test(error.message))
      ) {
        throw new AppError(
          503,
          'forge_keys_unavailable',
          "Forge's signing keys could not be fetched; try again shortly",
          {
            retryable: true,
          },
        );
      }
      throw invalidInvocation('The Forge invocation token does not verify');
    }
  }

  /** The claims of a verified token: this app's, naming one site on an API host this app calls. */
  private readInvocation(payload: unknown): ForgeInvocation {
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success)
      throw invalidInvocation('The Forge invocation token lacks the claims of an app invocation');
    const { app, context, principal } = parsed.data;
    if (app.id.toLowerCase() !== this.options.appId)
      throw invalidInvocation('The Forge invocation token is for another app');
    const apiBase = new URL(app.apiBaseUrl);
    const cloudId = API_BASE_PATH.exec(apiBase.pathname.replace(/\/+$/, ''))?.[1];
    const schemeOk =
      apiBase.protocol === 'https:' || (this.options.allowHttp && apiBase.protocol === 'http:');
    if (!cloudId || !schemeOk || apiBase.search !== '' || !apiHostMatches(apiBase, this.options.apiHosts)) {
      throw invalidInvocation('The Forge invocation token names an API base URL this app does not call');
    }
    if (context?.siteUrl && !context.siteUrl.startsWith('https://') && !this.options.allowHttp) {
      throw invalidInvocation('The Forge invocation token names a site that is not on https');
    }
    if (context?.cloudId !== undefined && context.cloudId !== cloudId) {
      throw invalidInvocation('The Forge invocation token names two different sites');
    }
    return {
      installationId: app.installationId,
      cloudId,
      apiBaseUrl: `${apiBase.origin}${apiBase.pathname.replace(/\/+$/, '')}`,
      siteUrl: context?.siteUrl?.replace(/\/+$/, '') ?? null,
      accountId: principal ?? null,
      moduleKey: context?.moduleKey ?? app.module?.key ?? null,
      module:
        app.module?.type !== undefined && app.module.key !== undefined
          ? { type: app.module.type, key: app.module.key }
          : null,
      appVersion: app.appVersion ?? null,
    };
  }
}
