// Exports taken with `OpenAI-Beta: assistants=v1` (or an Azure api-version before 2024-05-01-preview) hold v1
// shapes: `file_ids` on assistants, messages and runs, and the `retrieval` tool. They are stored as the v2 objects
// this server keeps, the way it reads v1 requests: message files become attachments for both built-in tools,
// assistant files become code_interpreter files, and `retrieval` becomes `file_search`.
import { attachmentsOf } from '../domain/messages.js';
import type { Attachment } from '../domain/types.js';
import type { ObjectKind } from './object-schemas.js';

type Json = Record<string, unknown>;

const v2Tools = (tools: unknown) => (Array.isArray(tools) ? tools.map((t) => ((t as Json)?.type === 'retrieval' ? { type: 'file_search' } : t)) : tools);

/** The object in v2 shape; v2 objects come back unchanged. */
export function upgradeV1(kind: ObjectKind, raw: Json): Json {
  const fileIds = raw.file_ids;
  const hasRetrieval = Array.isArray(raw.tools) && raw.tools.some((t) => (t as Json)?.type === 'retrieval');
  if (!Array.isArray(fileIds) && !hasRetrieval) return raw;
  const { file_ids: _, ...rest } = raw;
  const ids = Array.isArray(fileIds) ? fileIds.filter((id): id is string => typeof id === 'string') : [];
  if (kind === 'thread.message') {
    return { ...rest, attachments: attachmentsOf({ role: 'user', content: '', attachments: (raw.attachments as Attachment[] | undefined) ?? null, file_ids: ids }) };
  }
  if (kind === 'assistant') {
    const resources = (raw.tool_resources as Json | null | undefined) ?? {};
    return { ...rest, tools: v2Tools(raw.tools), tool_resources: ids.length ? { ...resources, code_interpreter: { file_ids: ids } } : raw.tool_resources ?? null };
  }
  return kind === 'thread.run' ? { ...rest, tools: v2Tools(raw.tools) } : raw;
}
