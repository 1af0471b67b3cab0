// Files (bytes first, then the row) and assistants: each its own group.
import { createReadStream } from 'node:fs';
import type { Assistant, FileObject } from '../domain/types.js';
import type { ImportContext } from './import-context.js';
import { refusal, type ImportPlan } from './import-plan.js';
import { BYTES_DIR } from './export-layout.js';
import { bytesPath } from './read-export.js';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function importFiles(ctx: ImportContext, plan: ImportPlan): Promise<void> {
  const { store, blobs, project, owners, report } = ctx;
  for (const { obj, source } of plan.file) {
    const entry = { kind: 'file', id: obj.id, source };
    const state = owners.state('file', obj.id);
    if (state !== 'new') {
      report.entries.push(state === 'exists' ? { ...entry, outcome: 'exists' } : { ...entry, outcome: 'refused', reason: refusal(owners, 'file', obj.id) });
      continue;
    }
    const path = await bytesPath(ctx.dir, obj.id);
    if (!path) {
      report.entries.push({ ...entry, outcome: 'skipped', reason: `its bytes are not in the export (expected at ${BYTES_DIR}/${obj.id})` });
      continue;
    }
    try {
      const { bytes } = await blobs.write(obj.id, createReadStream(path), ctx.maxFileBytes);
      const file: FileObject = { ...(obj as FileObject), bytes };
      try {
        await store.transaction((tx) => tx.files.insert(project, file));
      } catch (err) {
        await blobs.delete(obj.id);
        throw err;
      }
      owners.add('file', obj.id);
      report.entries.push({ ...entry, outcome: 'imported' });
    } catch (err) {
      report.entries.push({ ...entry, outcome: 'skipped', reason: `not written: ${message(err)}` });
    }
  }
}

export async function importAssistants(ctx: ImportContext, plan: ImportPlan): Promise<void> {
  const { store, project, owners, report } = ctx;
  for (const { obj, source } of plan.assistant) {
    const entry = { kind: 'assistant', id: obj.id, source };
    const state = owners.state('assistant', obj.id);
    if (state === 'exists') report.entries.push({ ...entry, outcome: 'exists' });
    else if (state === 'refused') report.entries.push({ ...entry, outcome: 'refused', reason: refusal(owners, 'assistant', obj.id) });
    else {
      try {
        await store.assistants.insert(project, obj as Assistant);
        owners.add('assistant', obj.id);
        report.entries.push({ ...entry, outcome: 'imported' });
      } catch (err) {
        report.entries.push({ ...entry, outcome: 'skipped', reason: `not written: ${message(err)}` });
      }
    }
  }
}
