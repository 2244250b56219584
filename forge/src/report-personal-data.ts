// The Forge function behind manifest.yml's `calsync-pdr`: Atlassian's Personal Data Reporting for the
// accounts the Calendar Sync server (the remote) stores. Only a Forge function may call report-accounts as
// the app, so it asks the remote for the accounts due, reports them, and hands the answer back. Bundled for
// `forge deploy` by `npm run forge:build`.
import { invokeRemote, privacy } from '@forge/api';

export const NEXT_BATCH_PATH = '/forge/privacy/next-batch';
export const ANSWER_PATH = '/forge/privacy/answer';
/** Atlassian's limit per request; @forge/api would split a longer list and fire the parts at once. */
const BATCH_LIMIT = 90;
/** Forge stops a scheduled function after 55 s; no batch starts once this much of the run is gone. */
const TIME_BUDGET_MS = 25_000;
/** Between two reports of one run, so a run that finds many accounts due does not burst. */
const PAUSE_BETWEEN_BATCHES_MS = 1_000;
/** When a 429 names no usable Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

type Account = { accountId: string; updatedAt: string };
type Batch = { id: string; accounts: Account[] };
type Answer =
  | { kind: 'answered'; accounts: { accountId: string; status: 'closed' | 'updated' }[] }
  | { kind: 'throttled'; retryAfterSeconds: number }
  | { kind: 'failed'; status: number; message?: string };

export type RunSummary = {
  batches: number;
  stoppedBy: 'nothing_due' | 'time_budget' | 'throttled' | 'failed';
};

export type ReporterOptions = {
  timeBudgetMs?: number;
  pauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

/** One run: next batch → report → answer, until nothing is due, time runs short, or Atlassian pushes back. */
export async function reportDueAccounts(options: ReporterOptions = {}): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + (options.timeBudgetMs ?? TIME_BUDGET_MS);
  let batches = 0;
  while (now() < deadline) {
    if (batches > 0) await sleep(options.pauseMs ?? PAUSE_BETWEEN_BATCHES_MS);
    const batch = await nextBatch();
    if (!batch) return { batches, stoppedBy: 'nothing_due' };
    batches += 1;
    const answer = await report(batch.accounts);
    await callRemote(ANSWER_PATH, { batchId: batch.id, answer });
    if (answer.kind !== 'answered') return { batches, stoppedBy: answer.kind };
  }
  return { batches, stoppedBy: 'time_budget' };
}

/** The handler the scheduled trigger invokes. */
export async function run(): Promise<RunSummary> {
  const summary = await reportDueAccounts();
  console.log(`personal data reporting: ${summary.batches} batch(es), stopped by ${summary.stoppedBy}`);
  return summary;
}

async function nextBatch(): Promise<Batch | null> {
  const body = (await callRemote(NEXT_BATCH_PATH, {})) as { batch?: Batch | null } | null;
  const batch = body?.batch ?? null;
  if (batch && (typeof batch.id !== 'string' || !Array.isArray(batch.accounts)))
    throw new Error('the remote answered next-batch with something that is not a batch');
  if (batch && batch.accounts.length > BATCH_LIMIT)
    throw new Error(`the remote handed out ${batch.accounts.length} accounts, more than ${BATCH_LIMIT}`);
  return batch;
}

/** Atlassian's answer as the remote takes it; the helper's rejection (its raw Response) becomes data. */
async function report(accounts: Account[]): Promise<Answer> {
  const asked = new Set(accounts.map((account) => account.accountId));
  try {
    const updates = accounts.length === 0 ? [] : await privacy.reportPersonalData(accounts);
    return {
      kind: 'answered',
      accounts: updates.flatMap(({ accountId, status }) => {
        // Atlassian documents lower case; anything else, or an account not asked about, is not acted on.
        const normalised = String(status).toLowerCase();
        return asked.has(accountId) && (normalised === 'closed' || normalised === 'updated')
          ? [{ accountId, status: normalised }]
          : [];
      }),
    };
  } catch (rejection) {
    return rejectionAnswer(rejection);
  }
}

async function rejectionAnswer(rejection: unknown): Promise<Answer> {
  if (!isResponse(rejection)) {
    const status = (rejection as { status?: unknown } | null)?.status;
    return {
      kind: 'failed',
      status: typeof status === 'number' && status >= 100 && status <= 599 ? status : 0,
      message:
        rejection instanceof Error ? `${rejection.name}: ${rejection.message}`.slice(0, 500) : 'no answer',
    };
  }
  if (rejection.status === 429)
    return { kind: 'throttled', retryAfterSeconds: retryAfterSeconds(rejection.headers.get('retry-after')) };
  const message = await errorMessage(rejection);
  return { kind: 'failed', status: rejection.status, ...(message ? { message } : {}) };
}

/** Retry-After in seconds, or as an HTTP date; 0 and garbage fall back to a minute. */
function retryAfterSeconds(header: string | null): number {
  if (header === null) return DEFAULT_RETRY_AFTER_SECONDS;
  const trimmed = header.trim();
  const seconds = /^\d+$/.test(trimmed)
    ? Number(trimmed)
    : Math.ceil((Date.parse(trimmed) - Date.now()) / 1000);
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds, 7 * 24 * 60 * 60)
    : DEFAULT_RETRY_AFTER_SECONDS;
}

async function errorMessage(response: ResponseLike): Promise<string | null> {
  try {
    const body = (await response.json()) as { errorType?: unknown; errorMessage?: unknown } | null;
    const parts = [body?.errorType, body?.errorMessage].filter((part) => typeof part === 'string');
    return parts.length > 0 ? parts.join(': ').slice(0, 500) : null;
  } catch {
    return null;
  }
}

type ResponseLike = {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
};

function isResponse(value: unknown): value is ResponseLike {
  const candidate = value as Partial<ResponseLike> | null;
  return (
    typeof candidate?.status === 'number' &&
    typeof candidate.headers?.get === 'function' &&
    typeof candidate.json === 'function'
  );
}

async function callRemote(path: string, body: unknown): Promise<unknown> {
  // A literal key, so `forge lint` can check it against manifest.yml's remotes.
  const response = await invokeRemote('calsync', {
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`the remote answered ${path} with ${response.status}`);
  return response.json();
}
