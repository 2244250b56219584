import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJiraAuth } from '../../src/doors/connect/connect-jira-auth.js';
import {
  ATLASSIAN_TEST_ACCOUNTS,
  CONNECT_REPORT_PATH,
  FakeAtlassianPrivacy,
  FORGE_REPORT_PATH,
} from '../support/fake-atlassian-privacy.js';
import { FakeJira, SEED_ACCOUNTS } from '../support/fake-jira/fake-jira.js';

const SECRET = 's'.repeat(40);
const at = '2026-01-01T00:00:00.000Z';
const account = (accountId: string, updatedAt = at) => ({ accountId, updatedAt });

/** The fake's contract, the same on both routes Atlassian serves Personal Data Reporting at. */
describe('the fake Personal Data Reporting API', () => {
  let jira: FakeJira;
  let forge: FakeAtlassianPrivacy;
  let forgeUrl: string;

  beforeAll(async () => {
    jira = await FakeJira.start({ sharedSecret: SECRET });
    forge = new FakeAtlassianPrivacy();
    forgeUrl = await forge.serveForge();
  });
  afterAll(async () => {
    await forge?.stop();
    await jira?.stop();
  });

  const viaConnect = async (body: unknown, secret = SECRET) => {
    const auth = connectJiraAuth(
      { baseUrl: jira.baseUrl, sharedSecret: secret },
      { appKey: 'calendar-sync' },
    );
    return fetch(`${jira.baseUrl}${CONNECT_REPORT_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: await auth.authorization({ method: 'POST', path: CONNECT_REPORT_PATH, query: {} }),
      },
      body: JSON.stringify(body),
    });
  };
  const viaForge = (body: unknown) =>
    fetch(`${forgeUrl}${FORGE_REPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer app-token' },
      body: JSON.stringify(body),
    });

  it.each([
    ['connect', () => jira.privacy, (body: unknown) => viaConnect(body)],
    ['forge', () => forge, viaForge],
  ] as const)('%s: answers by the contract and records every call', async (via, fake, send) => {
    const privacy = fake();
    const active = await send({ accounts: [account(ATLASSIAN_TEST_ACCOUNTS.active)] });
    expect(active.status).toBe(204);
    expect(await active.text()).toBe('');

    privacy.update(SEED_ACCOUNTS.bob, new Date('2026-02-01T00:00:00Z'));
    privacy.cyclePeriodSeconds = 86_400;
    const mixed = await send({
      accounts: [
        account(ATLASSIAN_TEST_ACCOUNTS.closed),
        account(SEED_ACCOUNTS.bob),
        account(SEED_ACCOUNTS.alice),
        account(SEED_ACCOUNTS.chloe, '2026-03-01T00:00:00+01:00'),
      ],
    });
    expect(mixed.status).toBe(200);
    expect(mixed.headers.get('cycle-period')).toBe('86400');
    expect(await mixed.json()).toEqual({
      accounts: [
        { accountId: ATLASSIAN_TEST_ACCOUNTS.closed, status: 'closed' },
        { accountId: SEED_ACCOUNTS.bob, status: 'updated' },
      ],
    });
    // Data fetched after the change is current.
    expect((await send({ accounts: [account(SEED_ACCOUNTS.bob, '2026-02-02T00:00:00Z')] })).status).toBe(204);

    const tooMany = await send({
      accounts: Array.from({ length: 91 }, (_, i) => account(`acc-${i}`)),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      errorType: expect.any(String),
      errorMessage: expect.stringContaining('90'),
    });
    expect((await send({ accounts: Array.from({ length: 90 }, (_, i) => account(`acc-${i}`)) })).status).toBe(
      204,
    );
    expect((await send({ accounts: [{ accountId: 'x', updatedAt: 'yesterday' }] })).status).toBe(400);

    privacy.failNext(
      { status: 429, retryAfterSeconds: 30 },
      { status: 503 },
      { status: 500 },
      { drop: true },
    );
    const throttled = await send({ accounts: [account('a')] });
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '30']);
    const unavailable = await send({ accounts: [account('a')] });
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({
      errorType: expect.any(String),
      errorMessage: expect.any(String),
    });
    expect((await send({ accounts: [account('a')] })).status).toBe(500);
    await expect(send({ accounts: [account('a')] })).rejects.toThrow();
    expect((await send({ accounts: [account('a')] })).status).toBe(204);

    expect(privacy.calls.every((call) => call.via === via)).toBe(true);
    expect(privacy.calls.map((call) => call.status)).toEqual([
      204, 200, 204, 400, 204, 400, 429, 503, 500, 0, 204,
    ]);
    expect(privacy.calls[1]!.accounts[3]).toEqual(account(SEED_ACCOUNTS.chloe, '2026-03-01T00:00:00+01:00'));
  });

  it('connect: only the installed app, signed for exactly this request, is heard', async () => {
    const before = jira.privacy.calls.length;
    expect((await viaConnect({ accounts: [account('a')] }, 'x'.repeat(40))).status).toBe(401);
    const unsigned = await fetch(`${jira.baseUrl}${CONNECT_REPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accounts: [account('a')] }),
    });
    expect(unsigned.status).toBe(401);
    expect(jira.privacy.calls.length).toBe(before);
  });

  it('closing an account anonymises it on the site', () => {
    jira.privacy.close(SEED_ACCOUNTS.gao);
    expect(jira.data.users.find((user) => user.accountId === SEED_ACCOUNTS.gao)).toMatchObject({
      displayName: 'Former user',
      active: false,
    });
  });
});
