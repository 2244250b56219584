import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import {
  MAX_BATCH_ACCOUNTS,
  type PersonalDataAnswer,
  type PersonalDataReporting,
} from '../../services/personal-data-reporting.js';
import { type Admission, FORGE_FUNCTION_ROUTES, type FunctionRoute } from './forge-routes.js';

/** Paths the reporting function calls with invokeRemote (forge/src/report-personal-data.ts). */
export const FORGE_PRIVACY_ROUTES = {
  nextBatch: FORGE_FUNCTION_ROUTES.privacyNextBatch.path,
  answer: FORGE_FUNCTION_ROUTES.privacyAnswer.path,
} as const;

/** The modules of manifest.yml whose invocations may use these routes (see FORGE_FUNCTION_ROUTES). */
export const PDR_MODULE_KEYS = FORGE_FUNCTION_ROUTES.privacyNextBatch.moduleKeys;

const accountId = z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/, 'is not an Atlassian account id');
const nextBatchSchema = z.object({}).strict();
const answerSchema = z
  .object({
    batchId: z.string().min(1).max(100),
    answer: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('answered'),
          accounts: z
            .array(z.object({ accountId, status: z.enum(['closed', 'updated']) }).strict())
            .max(MAX_BATCH_ACCOUNTS),
          cyclePeriodSeconds: z
            .number()
            .int()
            .positive()
            .max(366 * 24 * 60 * 60)
            .optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('throttled'),
          retryAfterSeconds: z
            .number()
            .int()
            .min(0)
            .max(7 * 24 * 60 * 60),
        })
        .strict(),
      z
        .object({
          kind: z.literal('failed'),
          // 0: Atlassian's API gave no HTTP answer (the Forge proxy or the network failed).
          status: z.number().int().min(0).max(599),
          message: z.string().max(1000).optional(),
        })
        .strict(),
    ]),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw badRequest(
    'The personal data reporting request is invalid',
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** The wire answer with `undefined` optionals dropped (the core's type does not admit them). */
function toAnswer(answer: z.infer<typeof answerSchema>['answer']): PersonalDataAnswer {
  switch (answer.kind) {
    case 'answered':
      return {
        kind: 'answered',
        accounts: answer.accounts,
        ...(answer.cyclePeriodSeconds === undefined ? {} : { cyclePeriodSeconds: answer.cyclePeriodSeconds }),
      };
    case 'throttled':
      return answer;
    case 'failed':
      return {
        kind: 'failed',
        status: answer.status,
        ...(answer.message === undefined ? {} : { message: answer.message }),
      };
  }
}

/**
 * Personal Data Reporting through Forge: the reporting function (a scheduled Forge function, the only
 * code that may call Atlassian's report-accounts API as a Forge app) asks here for the accounts due and
 * hands back what Atlassian answered. Pages cannot: their invocations name a user.
 */
export function forgePrivacyRouter(deps: {
  door: Admission;
  reporting: Pick<PersonalDataReporting, 'nextBatch' | 'settle'>;
}): Router {
  const router = Router();
  const json = express.json({ limit: '256kb' });

  /** The door refuses any other caller before admission, so a refused call leaves nothing behind. */
  const admitReportingFunction = async (req: Request, route: FunctionRoute): Promise<string> =>
    (await deps.door.admit(req, { kind: 'function', route })).installation.clientKey;

  router.post(FORGE_PRIVACY_ROUTES.nextBatch, json, (req: Request, res: Response, next) => {
    (async () => {
      const clientKey = await admitReportingFunction(req, FORGE_FUNCTION_ROUTES.privacyNextBatch);
      parse(nextBatchSchema, req.body);
      res.status(200).json({ batch: await deps.reporting.nextBatch(clientKey) });
    })().catch(next);
  });

  router.post(FORGE_PRIVACY_ROUTES.answer, json, (req: Request, res: Response, next) => {
    (async () => {
      const clientKey = await admitReportingFunction(req, FORGE_FUNCTION_ROUTES.privacyAnswer);
      const { batchId, answer } = parse(answerSchema, req.body);
      await deps.reporting.settle(clientKey, batchId, toAnswer(answer));
      res.status(200).json({ ok: true });
    })().catch(next);
  });

  return router;
}
