import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { invokeRemote } from '@forge/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeForge } from '../support/fake-forge/fake-forge.js';
import { FakeJira } from '../support/fake-jira/fake-jira.js';

type Received = { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> };

/** A stand-in remote that records what the platform sent and answers as told. */
let remote: Server;
let remoteUrl: string;
let received: Received[] = [];
let answer: (call: Received) => Promise<number> = () => Promise.resolve(200);
let forge: FakeForge;
let jira: FakeJira;

beforeAll(async () => {
  remote = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call = {
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
      };
      received.push(call);
      void answer(call).then((status) => {
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  forge = await FakeForge.start({ retryDelayMs: 10, eventTimeoutMs: 300 });
  jira = await FakeJira.start();
});
afterAll(async () => {
  remote.closeAllConnections();
  await new Promise<void>((resolve) => remote.close(() => resolve()));
  await forge?.stop();
  await jira?.stop();
});

describe('the fake Forge platform keeps Forge Remote’s contract', () => {
  it('routes lifecycle events by the manifest and signs a FIT that verifies against its JWKS', async () => {
    received = [];
    const installation = await forge.install(remoteUrl, jira);
    expect(received.map((call) => call.path)).toEqual(['/forge/lifecycle']);
    const [call] = received;
    expect(call!.body).toMatchObject({
      eventType: 'avi:forge:installed:app',
      context: { cloudId: jira.cloudId },
    });
    const fit = /^Bearer (.+)$/.exec(String(call!.headers.authorization))![1]!;
    const { payload, protectedHeader } = await jwtVerify(fit, createRemoteJWKSet(new URL(forge.jwksUrl)), {
      issuer: 'forge/invocation-token',
      audience: forge.appId,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      app: {
        id: forge.appId,
        installationId: installation.installationId,
        apiBaseUrl: jira.apiBaseUrl,
        module: { type: 'core:endpoint' },
      },
    });
    expect(payload['principal']).toBeUndefined();
    expect(call!.headers['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hands a system token the fake Jira accepts under /ex/jira/<cloudId> until the app is uninstalled', async () => {
    received = [];
    const installation = await forge.install(remoteUrl, jira);
    const token = String(received[0]!.headers['x-forge-oauth-system']);
    const field = () =>
      fetch(`${jira.apiBaseUrl}/rest/api/3/field`, { headers: { authorization: `Bearer ${token}` } });
    expect((await field()).status).toBe(200);
    await installation.uninstall();
    expect(received.map((call) => call.path)).toEqual(['/forge/lifecycle', '/forge/lifecycle/pre-uninstall']);
    expect((await field()).status).toBe(401);
  });

  it('retries a failed or slow event four times, naming the reason in retryContext', async () => {
    const installation = await forge.install(remoteUrl, jira);
    received = [];
    let calls = 0;
    answer = async () => {
      calls += 1;
      if (calls === 1) return 500;
      if (calls === 2) await new Promise((resolve) => setTimeout(resolve, 600));
      return calls === 3 ? 401 : 503;
    };
    try {
      const attempts = await installation.deliverEvent('avi:jira:updated:issue', { issue: { id: '10001' } });
      expect(attempts.map((attempt) => attempt.status)).toEqual([500, 'timeout', 401, 503, 503]);
      expect(received.map((call) => call.body['retryContext'])).toEqual([
        undefined,
        { retryCount: 1, retryReason: 'INVALID_REMOTE_INVOCATION_ERROR' },
        { retryCount: 2, retryReason: 'TIMEOUT_ERROR' },
        { retryCount: 3, retryReason: 'INVALID_FORGE_INVOCATION_TOKEN' },
        { retryCount: 4, retryReason: 'INVALID_REMOTE_INVOCATION_ERROR' },
      ]);
      expect(received.every((call) => call.path === '/forge/events/issue')).toBe(true);
    } finally {
      answer = () => Promise.resolve(200);
    }
  });

  it('sends UI invocations with the user, the module context and both tokens, and never retries them', async () => {
    const installation = await forge.install(remoteUrl, jira);
    received = [];
    answer = () => Promise.resolve(500);
    try {
      const response = await installation.invokeRemote(
        { path: '/api/site', method: 'GET' },
        { accountId: 'acc-1', moduleKey: 'calsync-my-calendars' },
      );
      expect(response.status).toBe(500);
      expect(received).toHaveLength(1);
      const fit = /^Bearer (.+)$/.exec(String(received[0]!.headers.authorization))![1]!;
      const { payload } = await jwtVerify(fit, createRemoteJWKSet(new URL(forge.jwksUrl)), {
        issuer: 'forge/invocation-token',
        audience: forge.appId,
      });
      expect(payload).toMatchObject({
        principal: 'acc-1',
        context: { cloudId: jira.cloudId, siteUrl: jira.baseUrl, moduleKey: 'calsync-my-calendars' },
      });
      expect(received[0]!.headers['x-forge-oauth-user']).toBeTruthy();
      expect(received[0]!.headers['x-forge-oauth-system']).toBeTruthy();
    } finally {
      answer = () => Promise.resolve(200);
    }
  });

  it("hosts a function for @forge/api: invokeRemote carries the trigger's backend FIT and a system token", async () => {
    const installation = await forge.install(remoteUrl, jira);
    received = [];
    const status = await installation.runFunction('calsync-pdr', async () => {
      const response = await invokeRemote('calsync', {
        path: '/forge/privacy/next-batch',
        method: 'POST',
        body: '{}',
      });
      // A remote the manifest does not declare is refused by the platform, as Forge's proxy does.
      await expect(invokeRemote('elsewhere', { path: '/', method: 'POST' })).rejects.toThrow(
        'Invalid remote key',
      );
      return response.status;
    });
    expect(status).toBe(200);
    expect(received.map((call) => call.path)).toEqual(['/forge/privacy/next-batch']);
    const fit = /^Bearer (.+)$/.exec(String(received[0]!.headers.authorization))![1]!;
    const { payload } = await jwtVerify(fit, createRemoteJWKSet(new URL(forge.jwksUrl)), {
      issuer: 'forge/invocation-token',
      audience: forge.appId,
    });
    expect(payload).toMatchObject({
      app: {
        installationId: installation.installationId,
        module: { type: 'core:endpoint', key: 'calsync-pdr-hourly' },
      },
      context: {},
    });
    expect(payload['principal']).toBeUndefined();
    expect(received[0]!.headers['x-forge-oauth-system']).toBeTruthy();
    expect(received[0]!.headers['x-forge-oauth-user']).toBeUndefined();
    // Outside a run there is no Forge runtime, as in any other process.
    await expect(invokeRemote('calsync', { path: '/', method: 'POST' })).rejects.toThrow();
  });
});
