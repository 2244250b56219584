// Served by src/http/browser-modules.ts from the server's schema defaults.
type FeedConfig = import('../../../src/domain/feed-config.js').FeedConfig;

/** A new feed's configuration (without the server-derived `content.templateFields`). */
export const DEFAULT_CONFIG: Omit<FeedConfig, 'content'> & {
  content: Omit<FeedConfig['content'], 'templateFields'>;
};
