import type { Knex } from 'knex';

/** A node of PostgreSQL's `EXPLAIN (ANALYZE, FORMAT JSON)` plan; row counts are per loop. */
export type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Subplan Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
};

/** Rows the scans of `table` under `node` returned or filtered away, over all their loops: what they read. */
export function rowsRead(node: PlanNode, table: string): number {
  const own =
    node['Relation Name'] === table
      ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1)
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, table), 0);
}

export type CapturedSql = { sql: string; bindings: readonly unknown[] };

/** Runs `action` and returns its result with the last SQL it sent that `matches`. */
export async function capturingSql<T>(
  knex: Knex,
  matches: (sql: string) => boolean,
  action: () => Promise<T>,
): Promise<{ result: T; query: CapturedSql }> {
  let captured: CapturedSql | null = null;
  const listener = (query: { sql: string; bindings?: readonly unknown[] }) => {
    if (matches(query.sql)) captured = { sql: query.sql, bindings: query.bindings ?? [] };
  };
  knex.on('query', listener);
  try {
    const result = await action();
    const query = captured as CapturedSql | null;
    if (!query) throw new Error('the query was not seen');
    return { result, query };
  } finally {
    knex.off('query', listener);
  }
}

/** The plan PostgreSQL runs `query` with, run for real (EXPLAIN ANALYZE: a write is made, so roll it back). */
export async function explainAnalyze(knex: Knex, query: CapturedSql): Promise<PlanNode> {
  const explained = await knex.raw<{ rows: { 'QUERY PLAN': [{ Plan: PlanNode }] }[] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${query.sql.replace(/\$\d+/g, '?')}`,
    query.bindings as Knex.RawBinding[],
  );
  return explained.rows[0]!['QUERY PLAN'][0].Plan;
}
