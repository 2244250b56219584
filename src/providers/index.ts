import type { Config } from '../config.js';
import type { CalendarProvider, CalendarProviders, ProviderKey } from '../domain/calendar-provider.js';
import { GoogleCalendarProvider } from './google/google-calendar-provider.js';
import { GraphCalendarProvider } from './microsoft/graph-calendar-provider.js';

/** The one place that names each provider; the core asks this map and never a provider by name. */
export function createCalendarProviders(
  config: Pick<Config, 'google' | 'microsoft'>,
  options: { fetch?: typeof fetch } = {},
): CalendarProviders {
  const providers = new Map<ProviderKey, CalendarProvider>();
  const transport = options.fetch ? { fetch: options.fetch } : {};
  if (config.google) {
    const { clientId, clientSecret, oauthBaseUrl, apiBaseUrl } = config.google;
    providers.set(
      'google',
      new GoogleCalendarProvider({
        clientId,
        clientSecret,
        ...(oauthBaseUrl ? { oauthBaseUrl } : {}),
        ...(apiBaseUrl ? { apiBaseUrl } : {}),
        ...transport,
      }),
    );
  }
  if (config.microsoft) {
    const { clientId, clientSecret, tenant, oauthBaseUrl, graphBaseUrl } = config.microsoft;
    providers.set(
      'microsoft',
      new GraphCalendarProvider({
        clientId,
        clientSecret,
        tenant,
        ...(oauthBaseUrl ? { authorityBaseUrl: oauthBaseUrl } : {}),
        ...(graphBaseUrl ? { graphBaseUrl } : {}),
        ...transport,
      }),
    );
  }
  return providers;
}
