import type { BlobStore } from '../../blobs/blob-store.js';
import { type ContainerFileObject, type ContainerObject, memoryLimitBytes } from '../../domain/containers.js';
import type { ExecuteResult, Sandbox, SandboxFileIn } from '../../sandbox/sandbox.js';
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

interface RunDeps {
  sandbox: Sandbox;
  blobs: BlobStore;
  files: ContainerFiles;
}

const PREFIX = '/mnt/data/';

/**
 * The container's files as inputs of the call. The session copies each in once per version, so a session that
 * started afresh (evicted, restarted) gets back every file the container has; files in subdirectories stay
 * where the code wrote them.
 */
async function inputs(deps: RunDeps, files: ContainerFileObject[]): Promise<SandboxFileIn[]> {
  const out: SandboxFileIn[] = [];
  for (const file of files) {
    const name = file.path.slice(PREFIX.length);
    if (!file.path.startsWith(PREFIX) || name.includes('/')) continue;
    out.push({ name, path: await deps.blobs.localPath(file.id) });
  }
  return out;
}

/** Runs code in the container's sandbox session (its key is the container id), with the container's memory limit. */
export async function runInContainer(deps: RunDeps, project: string, container: ContainerObject, request: ContainerRunRequest): Promise<ContainerRun> {
  const files: ContainerFileObject[] = [];
  const result = await deps.sandbox.execute({
    sessionKey: container.id,
    code: request.code,
    files: await inputs(deps, await deps.files.all(project, container.id)),
    memoryBytes: memoryLimitBytes(container.memory_limit),
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    saveFile: async (out) => {
      if (/[\u0000-\u001f\u007f]/.test(out.name)) throw new Error('its name has control characters');
      const saved = await deps.files.save(project, container, out.name, out.content, out.size, 'assistant');
      files.push(saved);
      return saved.id;
    },
  });
  return { result, files };
}
