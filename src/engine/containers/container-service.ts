import type { Readable } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.js';
import { BadRequestError, notFound } from '../../domain/errors.js';
import {
  type ContainerFileObject,
  type ContainerObject,
  DEFAULT_EXPIRY_MINUTES,
  DEFAULT_MEMORY_LIMIT,
  type MemoryLimit,
  containerPath,
} from '../../domain/containers.js';
import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { Page, PageQuery, Store } from '../../store/store.js';
import { ContainerFiles, fileName } from './container-files.js';
import { runInContainer, type ContainerRun, type ContainerRunRequest } from './container-code.js';

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

  async create(project: string, params: ContainerCreate): Promise<ContainerObject> {
    const sources = await Promise.all((params.file_ids ?? []).map(async (id, i) => (await this.deps.store.files.get(project, id)) ?? Promise.reject(notFound('file', id, `file_ids[${i}]`))));
    const now = this.nowSeconds();
    const container: ContainerObject = {
      id: newId(ID_PREFIX.container),
      object: 'container',
      created_at: now,
      name: params.name,
      status: 'running',
      expires_after: { anchor: 'last_active_at', minutes: params.expiry_minutes ?? DEFAULT_EXPIRY_MINUTES },
      last_active_at: now,
      memory_limit: params.memory_limit ?? DEFAULT_MEMORY_LIMIT,
      network_policy: { type: 'disabled' },
    };
    await this.deps.store.containers.insert(project, container);
    for (const file of sources) await this.files.copyFile(project, container, file);
    return container;
  }

  /** The container with its status as of now, or undefined when the project has none of that id. */
  async find(project: string, id: string): Promise<ContainerObject | undefined> {
    const container = await this.deps.store.containers.get(project, id);
    return container && this.refresh(project, container);
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
    const found = await this.deps.store.containers.list(project, page, name !== undefined ? { name } : {});
    return { ...found, data: await Promise.all(found.data.map((c) => this.refresh(project, c))) };
  }

  /** Deletes the container, its session and its files. */
  async delete(project: string, id: string): Promise<boolean> {
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
    await this.touch(project, container);
    const run = await runInContainer({ ...this.deps, files: this.files }, project, container, request);
    await this.touch(project, container);
    return run;
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
