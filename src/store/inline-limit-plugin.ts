import { LimitNode, SelectQueryNode, ValueNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';

/**
 * Writes a select's integer LIMIT into the SQL instead of binding it. SQLite (3.45 and later) lets a bound LIMIT
 * steer the query plan, so rebinding it re-prepares the statement on every execution: measured, that costs ten
 * times a small indexed lookup. A literal keeps the prepared statement reusable; the few distinct limits the
 * code uses each get their own cached statement.
 */
export class InlineLimitPlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!SelectQueryNode.is(node) || !node.limit) return node;
    const limit = node.limit.limit;
    if (!ValueNode.is(limit) || limit.immediate || !Number.isSafeInteger(limit.value)) return node;
    return Object.freeze({ ...node, limit: LimitNode.create(ValueNode.createImmediate(limit.value)) });
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}
