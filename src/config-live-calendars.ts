import { z } from 'zod';

/** The settings of live calendars' providers; `config.ts` spreads these into its environment schema. */
export const liveCalendarVariables = {
  GOOGLE_OAUTH_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,300}$/, 'the OAuth client id from the Google Cloud console')
    .optional(),
  GOOGLE_OAUTH_CLIENT_SECRET: z
    .string()
    .regex(/^[\x21-\x7e]{8,300}$/, 'the OAuth client secret from the Google Cloud console')
    .optional(),
  /** Tests and the demo point these at the fake Google. */
  GOOGLE_OAUTH_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  GOOGLE_API_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MICROSOFT_OAUTH_CLIENT_ID: z
    .string()
    .regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
      'the Application (client) ID of the app registration in Microsoft Entra (a GUID)',
    )
    .optional(),
  MICROSOFT_OAUTH_CLIENT_SECRET: z
    .string()
    .regex(/^[\x21-\x7e]{8,300}$/, 'the client secret value from the app registration in Microsoft Entra')
    .optional(),
  MICROSOFT_OAUTH_TENANT: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/,
      'common, organizations, consumers, a directory (tenant) id or a verified domain',
    )
    .default('common'),
  /** Tests and the demo point these at the fake Microsoft identity platform and Graph. */
  MICROSOFT_OAUTH_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MICROSOFT_GRAPH_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
};

type LiveCalendarEnvironment = {
  GOOGLE_OAUTH_CLIENT_ID?: string | undefined;
  GOOGLE_OAUTH_CLIENT_SECRET?: string | undefined;
  GOOGLE_OAUTH_BASE_URL?: string | undefined;
  GOOGLE_API_BASE_URL?: string | undefined;
  MICROSOFT_OAUTH_CLIENT_ID?: string | undefined;
  MICROSOFT_OAUTH_CLIENT_SECRET?: string | undefined;
  MICROSOFT_OAUTH_TENANT: string;
  MICROSOFT_OAUTH_BASE_URL?: string | undefined;
  MICROSOFT_GRAPH_BASE_URL?: string | undefined;
  TOKEN_ENCRYPTION_KEY?: Buffer | undefined;
};

export type GoogleConfig = {
  clientId: string;
  clientSecret: string;
  /** Google's own endpoints when null. */
  oauthBaseUrl: string | null;
  apiBaseUrl: string | null;
  /** AES-256-GCM key for refresh tokens at rest (TOKEN_ENCRYPTION_KEY, shared by every provider). */
  tokenEncryptionKey: Buffer;
};

export type MicrosoftConfig = {
  clientId: string;
  clientSecret: string;
  /** `common` (work, school and personal accounts), `organizations`, `consumers` or one directory. */
  tenant: string;
  /** Microsoft's own endpoints when null. */
  oauthBaseUrl: string | null;
  graphBaseUrl: string | null;
  /** AES-256-GCM key for refresh tokens at rest (TOKEN_ENCRYPTION_KEY, shared by every provider). */
  tokenEncryptionKey: Buffer;
};

const PROVIDER_SETTINGS = [
  ['GOOGLE_OAUTH_CLIENT_ID', 'GOOGLE_OAUTH_CLIENT_SECRET'],
  ['MICROSOFT_OAUTH_CLIENT_ID', 'MICROSOFT_OAUTH_CLIENT_SECRET'],
] as const;

/** Whether some provider is configured, and so needs TOKEN_ENCRYPTION_KEY whatever the edition. */
export function liveCalendarsConfigured(env: Partial<LiveCalendarEnvironment>): boolean {
  return PROVIDER_SETTINGS.some(([id]) => env[id] !== undefined);
}

/** A provider is on when its client is configured, and then needs its secret and a key for refresh tokens. */
export function checkLiveCalendars(env: Partial<LiveCalendarEnvironment>, ctx: z.RefinementCtx): void {
  for (const [idName, secretName] of PROVIDER_SETTINGS) {
    const id = env[idName] !== undefined;
    if (id !== (env[secretName] !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [id ? secretName : idName],
        message: `${idName} and ${secretName} go together`,
      });
    if (id && env.TOKEN_ENCRYPTION_KEY === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['TOKEN_ENCRYPTION_KEY'],
        message: `is required with ${idName} (it seals the refresh tokens)`,
      });
  }
}

export function googleConfig(e: LiveCalendarEnvironment): GoogleConfig | null {
  if (!e.GOOGLE_OAUTH_CLIENT_ID || !e.GOOGLE_OAUTH_CLIENT_SECRET || !e.TOKEN_ENCRYPTION_KEY) return null;
  return {
    clientId: e.GOOGLE_OAUTH_CLIENT_ID,
    clientSecret: e.GOOGLE_OAUTH_CLIENT_SECRET,
    oauthBaseUrl: trimSlash(e.GOOGLE_OAUTH_BASE_URL),
    apiBaseUrl: trimSlash(e.GOOGLE_API_BASE_URL),
    tokenEncryptionKey: e.TOKEN_ENCRYPTION_KEY,
  };
}

export function microsoftConfig(e: LiveCalendarEnvironment): MicrosoftConfig | null {
  if (!e.MICROSOFT_OAUTH_CLIENT_ID || !e.MICROSOFT_OAUTH_CLIENT_SECRET || !e.TOKEN_ENCRYPTION_KEY)
    return null;
  return {
    clientId: e.MICROSOFT_OAUTH_CLIENT_ID,
    clientSecret: e.MICROSOFT_OAUTH_CLIENT_SECRET,
    tenant: e.MICROSOFT_OAUTH_TENANT,
    oauthBaseUrl: trimSlash(e.MICROSOFT_OAUTH_BASE_URL),
    graphBaseUrl: trimSlash(e.MICROSOFT_GRAPH_BASE_URL),
    tokenEncryptionKey: e.TOKEN_ENCRYPTION_KEY,
  };
}

/** The key that seals every provider's refresh tokens; the same TOKEN_ENCRYPTION_KEY whichever is on. */
export function liveCalendarTokenKey(config: {
  google: Pick<GoogleConfig, 'tokenEncryptionKey'> | null;
  microsoft: Pick<MicrosoftConfig, 'tokenEncryptionKey'> | null;
}): Buffer | null {
  return config.google?.tokenEncryptionKey ?? config.microsoft?.tokenEncryptionKey ?? null;
}

function trimSlash(url: string | undefined): string | null {
  return url?.replace(/\/+$/, '') ?? null;
}
