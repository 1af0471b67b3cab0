import { extname } from 'node:path';
import type { FileObject } from '../domain/types.js';
import type { ToolContext } from './builtin-tool.js';
import { readAll } from '../store/read-all.js';

/** A file the run's code may read, and the name it has in /mnt/data. */
export interface InputFile {
  file: FileObject;
  name: string;
}

type Lookup = Pick<ToolContext, 'project' | 'run' | 'store'>;

/** File ids given to code_interpreter, in a stable order: the assistant's, the thread's, then message attachments. */
async function inputFileIds(ctx: Lookup): Promise<string[]> {
  const { project, run, store } = ctx;
  const [assistant, thread] = await Promise.all([store.assistants.get(project, run.assistant_id), store.threads.get(project, run.thread_id)]);
  const ids = [...(assistant?.tool_resources?.code_interpreter?.file_ids ?? []), ...(thread?.tool_resources?.code_interpreter?.file_ids ?? [])];
  const messages = await readAll((after) => store.messages.list(project, { limit: 100, order: 'asc', after }, { thread_id: run.thread_id }));
  for (const message of messages) {
    for (const attachment of message.attachments ?? []) {
      if (attachment.tools.some((tool) => tool.type === 'code_interpreter')) ids.push(attachment.file_id);
    }
  }
  return [...new Set(ids)];
}

/** The upload's own name as one safe path component; the file id when nothing usable is left. */
function baseName(filename: string, fallback: string): string {
  const name = (filename.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!name || name === '.' || name === '..' || Buffer.byteLength(name) > 200) return fallback;
  return name;
}

/** `data.csv`, then `data-2.csv`, `data-3.csv`…: earlier sources keep the plain name, so names stay put as a thread grows. */
function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  const ext = extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  const suffix = ext && ext !== name ? ext : '';
  for (let n = 2; ; n++) {
    const candidate = `${stem}-${n}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Every file this run's code may read, under its original filename (clashes get a numbered suffix). Ids that
 * no longer name a file of the project are left out.
 */
export async function codeInterpreterInputs(ctx: Lookup): Promise<InputFile[]> {
  const files = await Promise.all((await inputFileIds(ctx)).map((id) => ctx.store.files.get(ctx.project, id)));
  const taken = new Set<string>();
  const out: InputFile[] = [];
  for (const file of files) {
    if (!file) continue;
    const name = uniqueName(baseName(file.filename, file.id), taken);
    taken.add(name);
    out.push({ file, name });
  }
  return out;
}
