import type { Readable } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.js';
import { BadRequestError, notFound } from '../../domain/errors.js';
import {
  type ContainerFileObject,
  type ContainerObject,
  DEFAULT_EXPIRY_MINUTES,
  DEFAULT_MEMORY_LIMIT,
  type MemoryLimit,
  type StoredContainer,
  containerPath,
} from '../../domain/containers.js';
import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { ExecuteRequest, ExecuteResult, Sandbox } from '../../sandbox/sandbox.js';
import type { Page, PageQuery, Store } from '../../store/store.js';
import { ContainerFiles, fileName } from './container-files.js';
import { containerCall, type ContainerRun, type ContainerRunRequest } from './container-code.js';

export interface ContainerServiceDeps {
  store: Store;
  blobs: BlobStore;
  sandbox: Sandbox;
  /** Unix milliseconds; tests move it to expire containers. */
  clock: () => number;
  /** Largest file uploaded or copied into a container. */
  maxFileBytes: number;
}

export interface ContainerCreate {
  name: string;
  file_ids?: string[];
  expiry_minutes?: number;
  memory_limit?: MemoryLimit;
}

/**
 * Containers: a sandbox session each (keyed by the container id, so its variables and /mnt/data live as long as
 * it does), its files in the store and blob store, and its expiry after `expires_after.minutes` without use.
 * Expiry is read off the clock whenever a container is read; the session is closed when that is noticed.
 */
export class ContainerService {
  readonly files: ContainerFiles;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.files = new ContainerFiles(deps, (project, id) => this.getRunning(project, id), (project, c) => this.touch(project, c));
  }

  private nowSeconds(): number {
    return Math.floor(this.deps.clock() / 1000);
  }

  /** A new container; with `threadId`, the hidden one of that thread's code session. */
  async create(project: string, params: ContainerCreate, threadId?: string): Promise<StoredContainer> {
    const sources = await Promise.all((params.file_ids ?? []).map(async (id, i) => (await this.deps.store.files.get(project, id)) ?? Promise.reject(notFound('file', id, `file_ids[${i}]`))));
    const now = this.nowSeconds();
    const container: StoredContainer = {
      id: newId(ID_PREFIX.container),
      object: 'container',
      created_at: now,
      name: params.name,
      status: 'running',
      expires_after: { anchor: 'last_active_at', minutes: params.expiry_minutes ?? DEFAULT_EXPIRY_MINUTES },
      last_active_at: now,
      memory_limit: params.memory_limit ?? DEFAULT_MEMORY_LIMIT,
      network_policy: { type: 'disabled' },
      ...(threadId ? { thread_id: threadId } : {}),
    };
    await this.deps.store.containers.insert(project, container);
    for (const file of sources) await this.files.copyFile(project, container, file);
    return container;
  }

  /** The container with its status as of now, or undefined when the project has none of that id (threads' are not shown). */
  async find(project: string, id: string): Promise<ContainerObject | undefined> {
    const container = await this.deps.store.containers.get(project, id);
    return container && !container.thread_id ? this.refresh(project, container) : undefined;
  }

  async get(project: string, id: string): Promise<ContainerObject> {
    const container = await this.find(project, id);
    if (!container) throw notFound('container', id, 'container_id');
    return container;
  }

  /** The container, refusing an expired one: its session and state are gone. */
  async getRunning(project: string, id: string): Promise<ContainerObject> {
    const container = await this.get(project, id);
    if (container.status === 'expired') throw new BadRequestError(`Container '${id}' has expired: create a new one.`, 'container_id', 'container_expired');
    return container;
  }

  async list(project: string, page: PageQuery, name?: string): Promise<Page<ContainerObject>> {
    const found = await this.deps.store.containers.list(project, page, { thread_id: null, ...(name !== undefined ? { name } : {}) });
    return { ...found, data: await Promise.all(found.data.map((c) => this.refresh(project, c))) };
  }

  /** Deletes a container the API shows, its session and its files. */
  async delete(project: string, id: string): Promise<boolean> {
    return (await this.find(project, id)) !== undefined && this.remove(project, id);
  }

  /** The running hidden container of a thread's code session (a new one after the last expired). */
  async threadContainer(project: string, threadId: string, idleMinutes: number): Promise<StoredContainer> {
    for (const stored of (await this.deps.store.containers.list(project, { limit: 10, order: 'desc' }, { thread_id: threadId })).data) {
      const container = await this.refresh(project, stored);
      if (container.status === 'running') return container;
      await this.remove(project, container.id);
    }
    return this.create(project, { name: `Code session of ${threadId}`, expiry_minutes: idleMinutes }, threadId);
  }

  /** Ends a thread's code session: its hidden containers go. */
  async forgetThread(project: string, threadId: string): Promise<void> {
    for (const container of (await this.deps.store.containers.list(project, { limit: 100, order: 'desc' }, { thread_id: threadId })).data) await this.remove(project, container.id);
  }

  /** Runs a call as given in the container's session (a thread's: its inputs and outputs are Files, not container files). */
  async execute(project: string, container: StoredContainer, request: Omit<ExecuteRequest, 'sessionKey'>): Promise<ExecuteResult> {
    await this.touch(project, container);
    const result = await this.deps.sandbox.execute({ ...request, sessionKey: container.id });
    await this.touch(project, container);
    return result;
  }

  private async remove(project: string, id: string): Promise<boolean> {
    const files = await this.files.all(project, id);
    const deleted = await this.deps.store.transaction(async (tx) => {
      await tx.containerFiles.deleteWhere(project, { container_id: id });
      return tx.containers.delete(project, id);
    });
    if (!deleted) return false;
    await this.deps.sandbox.closeSession(id);
    for (const file of files) await this.deps.blobs.delete(file.id);
    return true;
  }

  /** Copies in the files of `fileIds` whose name no file of the container has yet; unknown ids are skipped. */
  async copyMissing(project: string, container: ContainerObject, fileIds: string[]): Promise<void> {
    if (fileIds.length === 0) return;
    const have = new Set((await this.files.all(project, container.id)).map((f) => f.path));
    for (const id of fileIds) {
      const file = await this.deps.store.files.get(project, id);
      if (file && !have.has(containerPath(fileName(file.filename)))) await this.files.copyFile(project, container, file);
    }
  }

  /** Runs code in the container's session; files it writes become container files. */
  async run(project: string, id: string, request: ContainerRunRequest): Promise<ContainerRun> {
    const container = await this.getRunning(project, id);
    const files: ContainerFileObject[] = [];
    const result = await this.execute(project, container, await containerCall({ blobs: this.deps.blobs, files: this.files }, project, container, request, files));
    return { result, files };
  }

  /** A stored upload or file copied into the container (the API's file create). */
  addFile(project: string, containerId: string, source: { fileId: string } | { filename: string; content: Readable }): Promise<ContainerFileObject> {
    return this.files.add(project, containerId, source);
  }

  private async touch(project: string, container: ContainerObject): Promise<void> {
    container.last_active_at = Math.max(container.last_active_at, this.nowSeconds());
    await this.deps.store.containers.replace(project, container);
  }

  private async refresh(project: string, container: ContainerObject): Promise<ContainerObject> {
    if (container.status === 'expired') return container;
    if (this.nowSeconds() < container.last_active_at + container.expires_after.minutes * 60) return container;
    const expired: ContainerObject = { ...container, status: 'expired' };
    await this.deps.store.containers.replace(project, expired);
    await this.deps.sandbox.closeSession(container.id);
    return expired;
  }
}
