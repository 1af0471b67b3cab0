// A synthetic export of the hosted Assistants API in the layout of redwoodworksco/assistants-api-export
// (manifest.json, assistants.json, threads/<id>.json records whose runs carry their steps, file metadata by id,
// an `errors` array), plus what that tool leaves to the user: vector stores as list-endpoint dumps (a list page
// and JSONL) and file bytes under files/<id>. The objects are shaped as the hosted API returned them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOSTED = {
  assistant: 'asst_H0st3dAss1stant0000001',
  thread: 'thread_H0st3dThr3ad000000001',
  userMessage: 'msg_H0st3dUs3r000000000001',
  reply: 'msg_H0st3dR3ply00000000001',
  halfReply: 'msg_H0st3dHalf000000000001',
  badMessage: 'msg_H0st3dBad0000000000001',
  run: 'run_H0st3dRun0000000000001',
  inFlightRun: 'run_H0st3dRunInFlight00001',
  step: 'step_H0st3dStep000000000001',
  openStep: 'step_H0st3dStepOpen0000001',
  file: 'file-H0st3dF1le00000000001',
  azureFile: 'assistant-AzUr3F1le000000001',
  missingFile: 'file-N0Byt3s000000000000001',
  vectorStore: 'vs_H0st3dV3ct0rSt0r300001',
  fact: 'The harbour ferry to Vellmar leaves at 06:40 from pier nine.',
} as const;

const T = 1_722_000_000;

const text = (value: string, annotations: unknown[] = []) => ({ type: 'text', text: { value, annotations } });

function message(id: string, role: 'user' | 'assistant', content: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id, object: 'thread.message', created_at: T + 10, assistant_id: role === 'assistant' ? HOSTED.assistant : null,
    thread_id: HOSTED.thread, run_id: role === 'assistant' ? HOSTED.run : null, role, content, attachments: [],
    metadata: {}, status: 'completed', incomplete_details: null, completed_at: T + 11, incomplete_at: null, ...extra,
  };
}

function run(id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id, object: 'thread.run', created_at: T + 20, assistant_id: HOSTED.assistant, thread_id: HOSTED.thread, status,
    started_at: T + 20, expires_at: null, cancelled_at: null, failed_at: null, completed_at: status === 'completed' ? T + 21 : null,
    required_action: null, last_error: null, model: 'scripted', instructions: 'Answer from the files.', tools: [{ type: 'file_search' }],
    tool_resources: {}, metadata: { origin: 'hosted' }, temperature: 1.0, top_p: 1.0, max_completion_tokens: null, max_prompt_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null }, incomplete_details: null,
    usage: status === 'completed' ? { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } : null,
    response_format: 'auto', tool_choice: 'auto', parallel_tool_calls: true, ...extra,
  };
}

function step(id: string, runId: string, status: string, messageId: string) {
  return {
    id, object: 'thread.run.step', created_at: T + 21, run_id: runId, assistant_id: HOSTED.assistant, thread_id: HOSTED.thread,
    type: 'message_creation', status, cancelled_at: null, completed_at: status === 'completed' ? T + 22 : null, expired_at: null,
    failed_at: null, last_error: null, step_details: { type: 'message_creation', message_creation: { message_id: messageId } },
    usage: null, metadata: null,
  };
}

const fileObject = (id: string, filename: string, bytes: number) => ({ object: 'file', id, purpose: 'assistants', filename, bytes, created_at: T, status: 'processed', status_details: null });

/** Writes the export into `dir`. */
export function writeHostedExport(dir: string): void {
  const write = (path: string, value: unknown) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  };
  const factBytes = `# Ferries\n\n${HOSTED.fact}\n\nTickets are sold on board.\n`;
  const azureBytes = '# Canteen\n\nThe canteen serves soup on Thursdays.\n';
  write('manifest.json', { export_schema: 'assistants-export-manifest/v1', script_version: '1.0.0', exported_at: '2026-08-20T10:00:00+00:00', endpoint: 'openai', assistants_count: 1, threads_requested: 2, threads_exported: 1, threads_failed: [{ thread_id: 'thread_gone', error: 'not_found_or_deleted' }] });
  write('assistants.json', [{
    id: HOSTED.assistant, object: 'assistant', created_at: T, name: 'Ferry desk', description: null, model: 'scripted',
    instructions: 'Answer from the files.', tools: [{ type: 'file_search', file_search: { ranking_options: { ranker: 'default_2024_08_21', score_threshold: 0 } } }],
    tool_resources: { file_search: { vector_store_ids: [HOSTED.vectorStore] } }, metadata: { team: 'ops' }, top_p: 1.0, temperature: 1.0,
    reasoning_effort: null, response_format: 'auto',
  }]);
  write(`threads/${HOSTED.thread}.json`, {
    export_schema: 'assistants-thread-export/v1', thread_id: HOSTED.thread, exported_at: '2026-08-20T10:00:01+00:00',
    thread: { id: HOSTED.thread, object: 'thread', created_at: T + 5, metadata: { customer: 'c-42' }, tool_resources: { code_interpreter: { file_ids: [] } } },
    messages: [
      message(HOSTED.userMessage, 'user', [text('When does the Vellmar ferry leave?')], { attachments: [{ file_id: HOSTED.file, tools: [{ type: 'file_search' }] }], run_id: null }),
      message(HOSTED.reply, 'assistant', [text('At 06:40 from pier nine.【4:0†ferries.md】', [{ type: 'file_citation', text: '【4:0†ferries.md】', start_index: 24, end_index: 40, file_citation: { file_id: HOSTED.file } }])]),
      message(HOSTED.badMessage, 'user', [{ type: 'text', text: { value: 42 } }]),
      message(HOSTED.halfReply, 'assistant', [text('Let me look')], { run_id: HOSTED.inFlightRun, status: 'in_progress', completed_at: null }),
    ],
    runs: [
      { ...run(HOSTED.run, 'completed'), steps: [step(HOSTED.step, HOSTED.run, 'completed', HOSTED.reply)] },
      { ...run(HOSTED.inFlightRun, 'in_progress', { expires_at: T + 620 }), steps: [step(HOSTED.openStep, HOSTED.inFlightRun, 'in_progress', HOSTED.halfReply)] },
    ],
    files: { [HOSTED.file]: fileObject(HOSTED.file, 'ferries.md', Buffer.byteLength(factBytes)), [HOSTED.missingFile]: fileObject(HOSTED.missingFile, 'lost.pdf', 1000) },
    errors: [{ object: 'file', id: 'file-aged0ut', error: 'not_found_or_expired', detail: 'Not found (HTTP 404)' }],
  });
  write('threads/thread_broken.json', '{"thread": {"id": "thread_broken", ');
  write('vector_stores.json', { object: 'list', data: [{ id: HOSTED.vectorStore, object: 'vector_store', created_at: T + 1, name: 'Ferry docs', usage_bytes: 2048, file_counts: { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 }, status: 'completed', expires_after: null, expires_at: null, last_active_at: T + 30, metadata: {} }], first_id: HOSTED.vectorStore, last_id: HOSTED.vectorStore, has_more: false });
  const vsFile = (id: string, attributes: Record<string, unknown>, chunking: unknown) => ({ id, object: 'vector_store.file', usage_bytes: 1024, created_at: T + 2, vector_store_id: HOSTED.vectorStore, status: 'completed', last_error: null, chunking_strategy: chunking, attributes });
  write('vector_store_files.jsonl', [
    vsFile(HOSTED.file, { topic: 'ferries', year: 2026 }, { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 50 } }),
    vsFile(HOSTED.azureFile, { topic: 'canteen' }, { type: 'other' }),
  ].map((o) => JSON.stringify(o)).join('\n'));
  write('files.json', { object: 'list', data: [fileObject(HOSTED.azureFile, 'canteen.md', Buffer.byteLength(azureBytes))], has_more: false });
  write(`files/${HOSTED.file}`, factBytes);
  write(`files/${HOSTED.azureFile}`, azureBytes);
}
