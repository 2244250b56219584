export type InstallationState = 'installed' | 'uninstalled';

/** The front door a site installed the app through. */
export type Door = 'connect' | 'forge' | 'datacenter';

/** How the app proves itself to a Connect site: the shared secret from the signed install callback. */
export type ConnectCredentials = { door: 'connect'; sharedSecret: string; oauthClientId: string | null };

/**
 * A Forge installation: Jira is reached at `apiBaseUrl` with the system token Forge hands the remote in
 * invocations (kept apart, in forge_system_tokens, because it rotates every few hours).
 */
export type ForgeCredentials = { door: 'forge'; cloudId: string; apiBaseUrl: string };

/**
 * A self-managed Jira Data Center instance (one per deployment): reached at `apiBaseUrl` as each
 * signed-in user, with that user's OAuth 2.0 token (datacenter_user_tokens); the app has no user of its own.
 */
export type DataCenterCredentials = { door: 'datacenter'; apiBaseUrl: string };

export type Credentials = ConnectCredentials | ForgeCredentials | DataCenterCredentials;

/**
 * One Jira site that installed the app. `clientKey` is the tenant key every table is scoped by: the
 * Connect clientKey, or the Forge installation id (`ari:cloud:ecosystem::installation/…`). `baseUrl` is
 * the site's own URL (issue links), whichever door it came through.
 */
export type Installation = {
  clientKey: string;
  door: Door;
  baseUrl: string;
  displayUrl: string | null;
  productType: string;
  description: string | null;
  serverVersion: string | null;
  pluginsVersion: string | null;
  /** Null once uninstalled: a tombstone keeps no way to reach the site. */
  credentials: Credentials | null;
  state: InstallationState;
  installedAt: Date;
  updatedAt: Date;
  uninstalledAt: Date | null;
};

/** What Jira sends in the Connect `installed` lifecycle callback, after validation. */
export type ConnectInstall = {
  clientKey: string;
  sharedSecret: string;
  baseUrl: string;
  displayUrl?: string | undefined;
  productType?: string | undefined;
  description?: string | undefined;
  serverVersion?: string | undefined;
  pluginsVersion?: string | undefined;
  oauthClientId?: string | undefined;
};

/** What a verified Forge invocation tells about its installation. */
export type ForgeInstall = {
  installationId: string;
  cloudId: string;
  apiBaseUrl: string;
  /** The site URL when known (UI invocations carry it; backend ones do not). */
  siteUrl: string | null;
  appVersion: string | null;
};

export type ActiveInstallation = Installation & { state: 'installed'; credentials: Credentials };

export function isActive(installation: Installation | null): installation is ActiveInstallation {
  return installation !== null && installation.state === 'installed' && installation.credentials !== null;
}

export type ActiveConnectInstallation = ActiveInstallation & { credentials: ConnectCredentials };

export function isConnect(installation: ActiveInstallation): installation is ActiveConnectInstallation {
  return installation.credentials.door === 'connect';
}
