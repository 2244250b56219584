import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The account ids Atlassian publishes for testing Personal Data Reporting. */
export const ATLASSIAN_TEST_ACCOUNTS = {
  active: '5be24ad8b1653240376955d2',
  closed: '5be24ba3f91c106033269289',
} as const;

export const CONNECT_REPORT_PATH = '/rest/atlassian-connect/latest/report-accounts';
export const FORGE_REPORT_PATH = '/app/report-accounts/';
const MAX_ACCOUNTS = 90;

export type ReportedAccount = { accountId: string; updatedAt: string };

/** One request as the fake received it, and what it answered. */
export type ReportCall = {
  via: 'connect' | 'forge';
  /** Real time: when the request arrived. */
  receivedAt: Date;
  accounts: ReportedAccount[];
  status: number;
  answered: { accountId: string; status: 'closed' | 'updated' }[];
};

export type PrivacyFault =
  | { status: 429; retryAfterSeconds: number }
  | { status: 400 | 500 | 503 }
  /** The connection is dropped before any answer. */
  | { drop: true };

export type PrivacyReply = { status: number; headers: Record<string, string>; body: unknown };

/**
 * Atlassian's Personal Data Reporting API, one contract for both routes it is reached by: Connect's
 * `POST {site}/rest/atlassian-connect/latest/report-accounts` (served by the fake Jira site, which checks
 * the app's JWT first) and Forge's `POST https://api.atlassian.com/app/report-accounts/` (`serveForge`).
 * At most 90 accounts with RFC 3339 `updatedAt`; 204 when nothing needs action, 200 listing the accounts
 * that do; 429 with Retry-After and 400/500/503 with `{errorType, errorMessage}` when programmed; the
 * `Cycle-Period` header when set. Every call is recorded.
 */
export class FakeAtlassianPrivacy {
  readonly calls: ReportCall[] = [];
  /** Seconds sent as `Cycle-Period` on 200 and 204 answers, when set. */
  cyclePeriodSeconds: number | null = null;
  private readonly closed = new Set<string>([ATLASSIAN_TEST_ACCOUNTS.closed]);
  /** Account → when its profile last changed: `updated` for reports holding data older than that. */
  private readonly changedAt = new Map<string, Date>();
  private readonly faults: PrivacyFault[] = [];
  private forgeServer: Server | null = null;

  constructor(private readonly hooks: { onClose?: (accountId: string) => void } = {}) {}

  /** The account is closed from now on: answered `closed`, and the site's Jira shows it anonymised. */
  close(accountId: string): void {
    this.closed.add(accountId);
    this.hooks.onClose?.(accountId);
  }

  /** The account's profile changed at `at`: reports with an older `updatedAt` are answered `updated`. */
  update(accountId: string, at: Date = new Date()): void {
    this.changedAt.set(accountId, at);
  }

  /** The next requests are answered with these faults, one each, before the contract resumes. */
  failNext(...faults: PrivacyFault[]): void {
    this.faults.push(...faults);
  }

  /** Every account id sent so far, in order, with repeats. */
  reportedAccountIds(): string[] {
    return this.calls.flatMap((call) => call.accounts.map((account) => account.accountId));
  }

  /** The contract itself; null means drop the connection. */
  answer(via: ReportCall['via'], body: unknown): PrivacyReply | null {
    const call: ReportCall = { via, receivedAt: new Date(), accounts: [], status: 0, answered: [] };
    this.calls.push(call);
    const parsed = parseRequest(body);
    if ('error' in parsed) return ((call.status = 400), errorReply(400, 'INVALID_REQUEST', parsed.error));
    call.accounts = parsed.accounts;
    const fault = this.faults.shift();
    if (fault && 'drop' in fault) return null;
    if (fault?.status === 429) {
      call.status = 429;
      return {
        ...errorReply(429, 'RATE_LIMITED', 'Too many requests'),
        headers: { 'retry-after': String(fault.retryAfterSeconds) },
      };
    }
    if (fault)
      return ((call.status = fault.status), errorReply(fault.status, 'SERVER_ERROR', 'Try again later'));
    call.answered = parsed.accounts.flatMap((account): ReportCall['answered'] => {
      if (this.closed.has(account.accountId))
        return [{ accountId: account.accountId, status: 'closed' as const }];
      const changed = this.changedAt.get(account.accountId);
      return changed && Date.parse(account.updatedAt) < changed.getTime()
        ? [{ accountId: account.accountId, status: 'updated' as const }]
        : [];
    });
    const headers: Record<string, string> =
      this.cyclePeriodSeconds === null ? {} : { 'cycle-period': String(this.cyclePeriodSeconds) };
    call.status = call.answered.length > 0 ? 200 : 204;
    return {
      status: call.status,
      headers,
      body: call.answered.length > 0 ? { accounts: call.answered } : null,
    };
  }

  /** Serves the Forge route on a port of its own; returns the base URL to call it at. */
  async serveForge(): Promise<string> {
    if (!this.forgeServer) {
      const server = createServer((req, res) => void this.handleForge(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.forgeServer = server;
    }
    return `http://127.0.0.1:${(this.forgeServer.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.forgeServer;
    this.forgeServer = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handleForge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'POST' || url.pathname !== FORGE_REPORT_PATH)
      return sendReply(res, errorReply(404, 'NOT_FOUND', 'Not found'));
    // Forge sends the app's own token; the fake only insists that one is there.
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? ''))
      return sendReply(res, errorReply(401, 'UNAUTHORIZED', 'No app token'));
    this.reply(res, 'forge', raw);
  }

  /** Answers one HTTP request on `res` from its raw body; for the fake Jira's Connect route too. */
  reply(res: ServerResponse, via: ReportCall['via'], raw: string): void {
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      body = undefined;
    }
    const reply = this.answer(via, body);
    if (!reply) {
      res.destroy();
      return;
    }
    sendReply(res, reply);
  }
}

function parseRequest(body: unknown): { accounts: ReportedAccount[] } | { error: string } {
  const accounts = (body as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(accounts) || accounts.length === 0)
    return {
      error: 'The body must be {"accounts":[{"accountId","updatedAt"}, …]} with at least one account',
    };
  if (accounts.length > MAX_ACCOUNTS)
    return { error: `At most ${MAX_ACCOUNTS} accounts a request; got ${accounts.length}` };
  const parsed: ReportedAccount[] = [];
  for (const account of accounts as unknown[]) {
    const { accountId, updatedAt } = (account ?? {}) as { accountId?: unknown; updatedAt?: unknown };
    if (typeof accountId !== 'string' || accountId === '')
      return { error: 'Every account needs an accountId' };
    if (
      typeof updatedAt !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(updatedAt) ||
      Number.isNaN(Date.parse(updatedAt))
    )
      return { error: `updatedAt of ${accountId} is not an RFC 3339 date-time` };
    parsed.push({ accountId, updatedAt });
  }
  return { accounts: parsed };
}

function errorReply(status: number, errorType: string, errorMessage: string): PrivacyReply {
  return { status, headers: {}, body: { errorType, errorMessage } };
}

function sendReply(res: ServerResponse, reply: PrivacyReply): void {
  if (reply.body === null) {
    res.writeHead(reply.status, reply.headers).end();
    return;
  }
  res
    .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
    .end(JSON.stringify(reply.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
