// The objects an export holds, validated as the hosted API returned them. Fields this server does not know are
// kept (the stored object is the object given), and fields the hosted API sometimes left out get the defaults it
// showed, so an imported object reads back as it was exported.
import { z } from 'zod';
import type { Assistant, FileObject, Message, Run, RunStep, Thread, VectorStore, VectorStoreFile } from '../domain/types.js';

/** Ids as this server keeps them (its own, the hosted API's, Azure's); never a path like `..`. */
export const importedId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'not a valid id');
const time = z.number().int().nonnegative();
const nullableTime = time.nullish().transform((v) => v ?? null);
const metadata = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
const nullable = z.unknown().optional().transform((v) => v ?? null);
const tools = z.array(z.looseObject({ type: z.string() })).nullish().transform((v) => v ?? []);

const annotation = z.looseObject({ type: z.string(), text: z.string().optional() });
const contentPart = z.union([
  z.looseObject({ type: z.literal('text'), text: z.looseObject({ value: z.string(), annotations: z.array(annotation).nullish().transform((v) => v ?? []) }) }),
  z.looseObject({ type: z.literal('image_file'), image_file: z.looseObject({ file_id: importedId }) }),
  z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: z.string() }) }),
  z.looseObject({ type: z.literal('refusal'), refusal: z.string() }),
]);
const attachment = z.looseObject({ file_id: importedId, tools: z.array(z.looseObject({ type: z.string() })).nullish().transform((v) => v ?? []) });

export const assistantSchema = z.looseObject({
  id: importedId,
  object: z.literal('assistant'),
  created_at: time,
  model: z.string(),
  name: nullable,
  description: nullable,
  instructions: nullable,
  tools,
  tool_resources: nullable,
  metadata,
  temperature: nullable,
  top_p: nullable,
  response_format: z.unknown().optional().transform((v) => v ?? 'auto'),
});

export const threadSchema = z.looseObject({ id: importedId, object: z.literal('thread'), created_at: time, metadata, tool_resources: nullable });

export const messageSchema = z.looseObject({
  id: importedId,
  object: z.literal('thread.message'),
  created_at: time,
  thread_id: importedId,
  role: z.enum(['user', 'assistant']),
  content: z.array(contentPart),
  status: z.enum(['in_progress', 'incomplete', 'completed']).nullish().transform((v) => v ?? 'completed'),
  incomplete_details: nullable,
  completed_at: nullableTime,
  incomplete_at: nullableTime,
  assistant_id: importedId.nullish().transform((v) => v ?? null),
  run_id: importedId.nullish().transform((v) => v ?? null),
  attachments: z.array(attachment).nullish().transform((v) => v ?? null),
  metadata,
});

export const runSchema = z.looseObject({
  id: importedId,
  object: z.literal('thread.run'),
  created_at: time,
  thread_id: importedId,
  assistant_id: importedId,
  status: z.enum(['queued', 'in_progress', 'requires_action', 'cancelling', 'cancelled', 'failed', 'completed', 'incomplete', 'expired']),
  model: z.string(),
  instructions: z.string().nullish().transform((v) => v ?? ''),
  tools,
  metadata,
  required_action: nullable,
  last_error: nullable,
  expires_at: nullableTime,
  started_at: nullableTime,
  cancelled_at: nullableTime,
  failed_at: nullableTime,
  completed_at: nullableTime,
  incomplete_details: nullable,
  usage: nullable,
  temperature: nullable,
  top_p: nullable,
  max_prompt_tokens: nullable,
  max_completion_tokens: nullable,
  response_format: z.unknown().optional().transform((v) => v ?? 'auto'),
  truncation_strategy: z.unknown().optional().transform((v) => v ?? { type: 'auto', last_messages: null }),
  tool_choice: z.unknown().optional().transform((v) => v ?? 'auto'),
  parallel_tool_calls: z.boolean().nullish().transform((v) => v ?? true),
});

export const stepSchema = z.looseObject({
  id: importedId,
  object: z.literal('thread.run.step'),
  created_at: time,
  run_id: importedId,
  assistant_id: importedId,
  thread_id: importedId,
  type: z.enum(['message_creation', 'tool_calls']),
  status: z.enum(['in_progress', 'cancelled', 'failed', 'completed', 'expired']),
  step_details: z.looseObject({ type: z.enum(['message_creation', 'tool_calls']) }),
  cancelled_at: nullableTime,
  completed_at: nullableTime,
  expired_at: nullableTime,
  failed_at: nullableTime,
  last_error: nullable,
  usage: nullable,
  metadata,
});

export const fileSchema = z.looseObject({
  id: importedId,
  object: z.literal('file'),
  bytes: z.number().int().nonnegative().nullish(),
  created_at: time,
  filename: z.string().min(1),
  purpose: z.string().min(1),
  status: z.enum(['uploaded', 'processed', 'error']).nullish().transform((v) => v ?? 'processed'),
  status_details: nullable,
});

export const vectorStoreSchema = z.looseObject({
  id: importedId,
  object: z.literal('vector_store'),
  created_at: time,
  name: nullable,
  status: z.string().nullish(),
  expires_after: z.object({ anchor: z.literal('last_active_at'), days: z.number().int().positive() }).nullish(),
  expires_at: nullableTime,
  last_active_at: nullableTime,
  metadata,
});

const chunking = z.union([
  z.object({ type: z.literal('static'), static: z.object({ max_chunk_size_tokens: z.number().int().positive(), chunk_overlap_tokens: z.number().int().nonnegative() }) }),
  z.object({ type: z.literal('other') }),
]);

export const vectorStoreFileSchema = z.looseObject({
  id: importedId,
  object: z.literal('vector_store.file'),
  created_at: time,
  vector_store_id: importedId,
  chunking_strategy: chunking.nullish(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish().transform((v) => v ?? {}),
});

/** Each kind of object an import takes, by its `object` field. */
export const SCHEMAS = {
  assistant: assistantSchema,
  thread: threadSchema,
  'thread.message': messageSchema,
  'thread.run': runSchema,
  'thread.run.step': stepSchema,
  file: fileSchema,
  vector_store: vectorStoreSchema,
  'vector_store.file': vectorStoreFileSchema,
} as const;

export type ObjectKind = keyof typeof SCHEMAS;

/** The wire types the parsed objects are stored as (the schemas check what the store and the views rely on). */
export interface ParsedObjects {
  assistant: Assistant;
  thread: Thread;
  'thread.message': Message;
  'thread.run': Run;
  'thread.run.step': RunStep;
  file: FileObject & { bytes?: number | null };
  vector_store: VectorStore;
  'vector_store.file': VectorStoreFile;
}

export function isObjectKind(value: unknown): value is ObjectKind {
  return typeof value === 'string' && Object.hasOwn(SCHEMAS, value);
}

/** The first problem zod found, as one short line for the report; for a union, the branch that got furthest. */
export function describeIssue(error: z.ZodError): string {
  let issue: z.core.$ZodIssue | undefined = error.issues[0];
  let path: PropertyKey[] = [];
  while (issue?.code === 'invalid_union' && issue.errors.length > 0) {
    path = [...path, ...issue.path];
    const branches: z.core.$ZodIssue[] = issue.errors.map((errors) => errors[0]).filter((e): e is z.core.$ZodIssue => e !== undefined);
    issue = branches.sort((a, b) => b.path.length - a.path.length)[0];
  }
  if (!issue) return 'invalid object';
  const where = [...path, ...issue.path].map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}
