/** A request as the REST API sees it: `path` below the API base, query parameters already stringified. */
export type JiraRequestTarget = { method: string; path: string; query: Record<string, string> };

/**
 * How one site's REST API is reached and how each request is authorised: the door's business (a Connect
 * JWT signed per request, or a Forge bearer token), never the client's.
 */
export type JiraAuth = {
  /** Where `/rest/api/3/...` lives: the site itself for Connect, Atlassian's API gateway for Forge. */
  apiBaseUrl: string;
  /** The `Authorization` header value for this request; may throw an AppError when no credential is at hand. */
  authorization(target: JiraRequestTarget): Promise<string> | string;
  /** Told when Jira answered 401 to a request sent with `authorization`: the credential is no good. */
  rejected?(authorization: string): Promise<void>;
};
