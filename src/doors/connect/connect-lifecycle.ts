import { z } from 'zod';
import type { ConnectInstall } from '../../domain/installation.js';
import { type JiraSitePolicy, normaliseJiraBaseUrl } from '../../domain/jira-site-url.js';
import { AppError, badRequest } from '../../errors.js';

const lifecyclePayloadSchema = z.object({
  key: z.string().min(1),
  clientKey: z.string().min(1).max(255),
  sharedSecret: z.string().min(32, 'must be at least 32 characters').max(1024).optional(),
  baseUrl: z.url({ protocol: /^https?$/ }),
  displayUrl: z.url({ protocol: /^https?$/ }).optional(),
  productType: z.string().max(50).optional(),
  description: z.string().max(1000).optional(),
  serverVersion: z.string().max(100).optional(),
  pluginsVersion: z.string().max(100).optional(),
  oauthClientId: z.string().max(255).optional(),
  eventType: z.enum(['installed', 'uninstalled']),
});

export type LifecyclePayload = z.infer<typeof lifecyclePayloadSchema>;

/** Validates a Connect lifecycle body whose JWT was already verified as issued by `verifiedIssuer`. */
export function parseLifecyclePayload(
  body: unknown,
  verifiedIssuer: string,
  eventType: 'installed' | 'uninstalled',
  options: { appKey: string; sites: JiraSitePolicy },
): LifecyclePayload {
  const parsed = lifecyclePayloadSchema.safeParse(body);
  if (!parsed.success) {
    throw badRequest(
      'The lifecycle payload is invalid',
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  const payload = parsed.data;
  if (payload.eventType !== eventType)
    throw badRequest(`Expected eventType "${eventType}"`, [
      { path: 'eventType', message: `must be ${eventType}` },
    ]);
  if (payload.clientKey !== verifiedIssuer) {
    throw new AppError(401, 'unauthorized', 'The clientKey in the payload does not match the signed JWT');
  }
  if (payload.key !== options.appKey)
    throw badRequest('The payload is for another app', [
      { path: 'key', message: `must be ${options.appKey}` },
    ]);
  const baseUrl = normaliseJiraBaseUrl(payload.baseUrl, options.sites);
  if (baseUrl === null) {
    const { protocol, host } = new URL(payload.baseUrl);
    throw new AppError(
      403,
      'host_not_allowed',
      `Jira sites at ${protocol}//${host} may not install this app`,
    );
  }
  return { ...payload, baseUrl };
}

export function toConnectInstall(payload: LifecyclePayload): ConnectInstall {
  if (!payload.sharedSecret)
    throw badRequest('The install payload has no sharedSecret', [
      { path: 'sharedSecret', message: 'is required' },
    ]);
  return {
    clientKey: payload.clientKey,
    sharedSecret: payload.sharedSecret,
    baseUrl: payload.baseUrl,
    displayUrl: payload.displayUrl,
    productType: payload.productType,
    description: payload.description,
    serverVersion: payload.serverVersion,
    pluginsVersion: payload.pluginsVersion,
    oauthClientId: payload.oauthClientId,
  };
}
