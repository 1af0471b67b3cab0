import type { BlobStore } from '../../blobs/blob-store.js';
import { type ContainerFileObject, type ContainerObject, memoryLimitBytes } from '../../domain/containers.js';
import type { ExecuteRequest, ExecuteResult, SandboxFileIn } from '../../sandbox/sandbox.js';
import type { ContainerFiles } from './container-files.js';

export interface ContainerRunRequest {
  code: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What a call produced, with the files it wrote as the container files they became. */
export interface ContainerRun {
  result: ExecuteResult;
  files: ContainerFileObject[];
}

interface CallDeps {
  blobs: BlobStore;
  files: ContainerFiles;
}

const PREFIX = '/mnt/data/';

/**
 * The container's files as inputs of the call. The session copies each in once per version, so a session that
 * started afresh (evicted, restarted) gets back every file the container has; files in subdirectories stay
 * where the code wrote them.
 */
async function inputs(deps: CallDeps, files: ContainerFileObject[]): Promise<SandboxFileIn[]> {
  const out: SandboxFileIn[] = [];
  for (const file of files) {
    const name = file.path.slice(PREFIX.length);
    if (!file.path.startsWith(PREFIX) || name.includes('/')) continue;
    out.push({ name, path: await deps.blobs.localPath(file.id) });
  }
  return out;
}

/**
 * The sandbox call for code run in a container: its files as inputs, its memory limit, and files the code
 * writes saved as container files (pushed to `saved` as they are).
 */
export async function containerCall(deps: CallDeps, project: string, container: ContainerObject, request: ContainerRunRequest, saved: ContainerFileObject[]): Promise<Omit<ExecuteRequest, 'sessionKey'>> {
  return {
    code: request.code,
    files: await inputs(deps, await deps.files.all(project, container.id)),
    memoryBytes: memoryLimitBytes(container.memory_limit),
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    saveFile: async (out) => {
      if (/[\u0000-\u001f\u007f]/.test(out.name)) throw new Error('its name has control characters');
      const file = await deps.files.save(project, container, out.name, out.content, out.size, 'assistant');
      saved.push(file);
      return file.id;
    },
  };
}
