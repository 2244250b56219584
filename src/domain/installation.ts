export type InstallationState = 'installed' | 'uninstalled';

export type Installation = {
  clientKey: string;
  baseUrl: string;
  displayUrl: string | null;
  productType: string;
  description: string | null;
  serverVersion: string | null;
  pluginsVersion: string | null;
  oauthClientId: string | null;
  sharedSecret: string | null;
  state: InstallationState;
  installedAt: Date;
  updatedAt: Date;
  uninstalledAt: Date | null;
};

/** What Jira sends in the `installed` lifecycle callback, after validation. */
export type InstallPayload = {
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

export type ActiveInstallation = Installation & { state: 'installed'; sharedSecret: string };

export function isActive(installation: Installation | null): installation is ActiveInstallation {
  return installation !== null && installation.state === 'installed' && installation.sharedSecret !== null;
}
