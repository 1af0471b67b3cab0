import { z } from 'zod';

// Request pieces shared by several resources, with the hosted API's limits.

export const metadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: 'metadata can have at most 16 keys.' })
  .nullable()
  .transform((m) => m ?? {});

const functionSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'function names must be 1-64 characters of a-z, A-Z, 0-9, _ or -.'),
  description: z.string().max(1024).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});

const fileSearchOptions = z.object({
  max_num_results: z.number().int().min(1).max(50).optional(),
  ranking_options: z
    .object({ ranker: z.enum(['auto', 'default_2024_08_21', 'none']).optional(), score_threshold: z.number().min(0).max(1) })
    .optional(),
});

/**
 * v1's `retrieval` is read as v2's `file_search`; the v1 mapper turns it back on the way out. The seed documents
 * write `code interpreter` with a space; it means code_interpreter.
 */
export const toolSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('code_interpreter') }),
  z.object({ type: z.literal('code interpreter') }).transform(() => ({ type: 'code_interpreter' as const })),
  z.object({ type: z.literal('file_search'), file_search: fileSearchOptions.optional() }),
  z.object({ type: z.literal('retrieval') }).transform(() => ({ type: 'file_search' as const })),
  z.object({ type: z.literal('function'), function: functionSchema }),
]);

export const toolsSchema = z.array(toolSchema).max(128);

const vectorStoreHelper = z.object({
  file_ids: z.array(z.string()).max(10_000).optional(),
  chunking_strategy: z.unknown().optional(),
  metadata: metadataSchema.optional(),
});

/** The seed documents spell `code interpreter` with a space; it means code_interpreter. */
export const toolResourcesSchema = z.preprocess(
  (value) => {
    if (value && typeof value === 'object' && 'code interpreter' in value && !('code_interpreter' in value)) {
      const { ['code interpreter']: ci, ...rest } = value as Record<string, unknown>;
      return { ...rest, code_interpreter: ci };
    }
    return value;
  },
  z
    .object({
      code_interpreter: z.object({ file_ids: z.array(z.string()).max(20).default([]) }).optional(),
      file_search: z
        .object({
          vector_store_ids: z.array(z.string()).max(1).optional(),
          vector_stores: z.array(vectorStoreHelper).max(1).optional(),
        })
        .optional(),
    })
    .nullable(),
);

export type ToolResourcesInput = z.infer<typeof toolResourcesSchema>;

export const responseFormatSchema = z
  .union([
    z.literal('auto'),
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      }),
    }),
  ])
  .nullable();

/** Accepted as the SDK sends it; models here are chat-completions models, which get no reasoning setting from a run. */
export const reasoningEffortSchema = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullable();

export const temperatureSchema = z.number().min(0).max(2).nullable();
export const topPSchema = z.number().min(0).max(1).nullable();

const attachmentTool = z.discriminatedUnion('type', [
  z.object({ type: z.literal('code_interpreter') }),
  z.object({ type: z.literal('file_search') }),
  z.object({ type: z.literal('retrieval') }).transform(() => ({ type: 'file_search' as const })),
]);

export const attachmentsSchema = z.array(z.object({ file_id: z.string().min(1), tools: z.array(attachmentTool).default([]) })).nullable();

const detail = z.enum(['auto', 'low', 'high']).optional();

export const contentPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_file'), image_file: z.object({ file_id: z.string().min(1), detail }) }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().url(), detail }) }),
]);

/** A message as given to messages.create, threads.create and runs' additional_messages. */
export const messageInputSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string().max(256_000), z.array(contentPartSchema).min(1)]),
  attachments: attachmentsSchema.optional(),
  metadata: metadataSchema.optional(),
  /** v1, and the seed's v2 examples: files for the message, read as code_interpreter attachments. */
  file_ids: z.array(z.string()).max(10).optional(),
});

export type MessageInput = z.infer<typeof messageInputSchema>;
