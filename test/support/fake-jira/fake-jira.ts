export {
  FakeJira,
  type FakeJiraOptions,
  type LifecyclePayload,
  type LifecycleVariant,
  type RecordedRequest,
} from './fake-jira-server.js';
export { FaultInjector, type FaultSpec } from './fake-jira-faults.js';
export {
  defaultSeed,
  generateIssues,
  SEED_ACCOUNTS,
  SEED_ROLE_IDS,
  SEED_TIME_ZONE,
  type GenerateIssuesOptions,
} from './fake-jira-seed.js';
export { CUSTOM_FIELD } from './fake-jira-catalog.js';
export { ROUTES, type ConnectScope } from './fake-jira-routes.js';
export { compileJql, searchIssues, JqlValidationError, type JqlContext } from './jql-evaluator.js';
export { parseJql, JqlSyntaxError } from './jql-parser.js';
export { formatJiraDateTime, parseJiraDateTime } from './jira-time.js';
export type * from './fake-jira-types.js';
