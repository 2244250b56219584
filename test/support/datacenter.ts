import { randomBytes } from 'node:crypto';
import type { FakeJiraDc } from './fake-jira-dc/fake-jira-dc.js';
import { type ApiResponse, apiClient } from './site.js';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

export type DataCenterApp = {
  app: TestApp;
  link: { clientId: string; clientSecret: string; redirectUri: string };
  tokenKey: Buffer;
};

/**
 * The Data Center edition of the app for one fake Jira DC, with an incoming application link made for it;
 * `same` starts another process of an existing deployment (its link and token key).
 */
export async function startDataCenterApp(
  dc: FakeJiraDc,
  options: TestAppOptions = {},
  same?: { link?: DataCenterApp['link']; tokenKey?: Buffer },
): Promise<DataCenterApp> {
  const link = same?.link ?? dc.createApplicationLink('about:blank');
  const tokenKey = same?.tokenKey ?? randomBytes(32);
  const app = await startTestApp({
    ...options,
    configFor: (url) => {
      link.redirectUri = `${url}/oauth/callback`;
      return {
        datacenter: {
          baseUrl: dc.baseUrl,
          clientId: link.clientId,
          clientSecret: link.clientSecret,
          tokenEncryptionKey: tokenKey,
          sessionTtlMs: 60 * 60_000,
        },
        ...options.configFor?.(url),
      };
    },
  });
  return { app, link, tokenKey };
}

const setCookies = (response: Response): string[] => response.headers.getSetCookie();
const cookiePair = (setCookie: string): string => setCookie.split(';')[0] ?? '';

/** A browser that signed in to Jira: its Jira session cookie. */
export async function jiraBrowserLogin(dc: FakeJiraDc, accountId: string): Promise<string> {
  const login = await fetch(`${dc.baseUrl}/login.jsp?os_destination=%2F`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      os_username: dc.userName(accountId),
      os_password: dc.passwordOf(accountId),
    }).toString(),
    redirect: 'manual',
  });
  if (login.status !== 302) throw new Error(`Jira login answered ${login.status}`);
  return cookiePair(setCookies(login)[0] ?? '');
}

export type SignInSteps = {
  /** The app's answer to GET /signin. */
  start: Response;
  signInCookie: string;
  authorizeUrl: URL;
  /** Where Jira sent the browser back (the app's callback with code and state), after consent. */
  callbackUrl: URL;
};

/** GET /signin, then Jira's login and consent, up to (not including) the app's callback. */
export async function startSignIn(
  app: TestApp,
  dc: FakeJiraDc,
  accountId: string,
  decision: 'allow' | 'deny' = 'allow',
  returnTo = '/pages/admin',
): Promise<SignInSteps> {
  const start = await fetch(`${app.url}/signin?returnTo=${encodeURIComponent(returnTo)}`, {
    redirect: 'manual',
  });
  if (start.status !== 302) throw new Error(`/signin answered ${start.status}`);
  const signInCookie = cookiePair(
    setCookies(start).find((cookie) => cookie.startsWith('calsync_signin=')) ?? '',
  );
  const authorizeUrl = new URL(start.headers.get('location') ?? '');
  const jiraCookie = await jiraBrowserLogin(dc, accountId);
  const consentPage = await fetch(authorizeUrl, { headers: { cookie: jiraCookie }, redirect: 'manual' });
  const consent = /name="consent" value="([^"]+)"/.exec(await consentPage.text())?.[1];
  if (!consent)
    throw new Error(`Jira's authorize page answered ${consentPage.status} without a consent form`);
  const decided = await fetch(`${dc.baseUrl}/rest/oauth2/latest/authorize`, {
    method: 'POST',
    headers: { cookie: jiraCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent, decision }).toString(),
    redirect: 'manual',
  });
  return { start, signInCookie, authorizeUrl, callbackUrl: new URL(decided.headers.get('location') ?? '') };
}

export type DataCenterBrowser = {
  sessionCookie: string;
  csrfToken: string;
  api: ReturnType<typeof apiClient>;
  /** The Set-Cookie headers of the callback that opened the session. */
  setCookies: string[];
};

/** Signs `accountId` in through the whole OAuth flow, as a browser would, and calls the API with that session. */
export async function signInThroughJira(
  app: TestApp,
  dc: FakeJiraDc,
  accountId: string,
): Promise<DataCenterBrowser> {
  const steps = await startSignIn(app, dc, accountId);
  const callback = await fetch(steps.callbackUrl, {
    headers: { cookie: steps.signInCookie },
    redirect: 'manual',
  });
  if (callback.status !== 302)
    throw new Error(`the sign-in callback answered ${callback.status}: ${await callback.text()}`);
  const cookies = setCookies(callback);
  const sessionCookie = cookiePair(
    cookies.find((cookie) => /^(__Host-)?calsync_session=/.test(cookie)) ?? '',
  );
  const session = await fetch(`${app.url}/api/session`, { headers: { cookie: sessionCookie } });
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  return { sessionCookie, csrfToken, api: sessionApi(app, sessionCookie, csrfToken), setCookies: cookies };
}

/** The API as a standalone page calls it: the session cookie, and the CSRF header on every write. */
export function sessionApi(app: TestApp, sessionCookie: string, csrfToken: string | null) {
  return apiClient(async (method, path, body): Promise<ApiResponse> => {
    const headers: Record<string, string> = { cookie: sessionCookie };
    if (csrfToken !== null && method !== 'GET') headers['x-csrf-token'] = csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${app.url}/api${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  });
}
