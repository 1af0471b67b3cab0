import type { Readable } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.js';
import { BadRequestError, notFound } from '../../domain/errors.js';
import { type ContainerFileObject, type ContainerObject, containerPath } from '../../domain/containers.js';
import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { FileObject } from '../../domain/types.js';
import { readAll } from '../../store/read-all.js';
import type { Page, PageQuery, Store } from '../../store/store.js';

interface FilesDeps {
  store: Store;
  blobs: BlobStore;
  clock: () => number;
  maxFileBytes: number;
}

type Lookup = (project: string, containerId: string) => Promise<ContainerObject>;
type Touch = (project: string, container: ContainerObject) => Promise<void>;

/** The last component of an upload's name, as it is placed in /mnt/data. */
export function fileName(filename: string): string {
  const name = (filename.split(/[/\\]/).pop() ?? '').trim();
  if (!name || name === '.' || name === '..' || /[\u0000-\u001f\u007f]/.test(name) || Buffer.byteLength(name) > 255) {
    throw new BadRequestError(`Invalid file name '${filename}' for a container file.`, 'file', 'invalid_value');
  }
  return name;
}

/**
 * The files of containers. Each has its own blob (a copy of a file given by id, so deleting that file leaves the
 * container's alone); one record per path, so a file written again replaces the record of its path.
 */
export class ContainerFiles {
  constructor(
    private readonly deps: FilesDeps,
    private readonly running: Lookup,
    private readonly touch: Touch,
  ) {}

  /** The API's create: an upload, or a copy of a stored file. */
  async add(project: string, containerId: string, source: { fileId: string } | { filename: string; content: Readable }): Promise<ContainerFileObject> {
    const container = await this.running(project, containerId);
    if ('fileId' in source) {
      const file = await this.deps.store.files.get(project, source.fileId);
      if (!file) throw notFound('file', source.fileId, 'file_id');
      return this.copyFile(project, container, file);
    }
    const saved = await this.save(project, container, fileName(source.filename), source.content, this.deps.maxFileBytes, 'user');
    await this.touch(project, container);
    return saved;
  }

  copyFile(project: string, container: ContainerObject, file: FileObject): Promise<ContainerFileObject> {
    return this.save(project, container, fileName(file.filename), this.deps.blobs.read(file.id), this.deps.maxFileBytes, 'user');
  }

  /** Stores `content` as the file at /mnt/data/<name>, replacing the record (and bytes) the path had. */
  async save(project: string, container: ContainerObject, name: string, content: Readable, maxBytes: number, source: ContainerFileObject['source']): Promise<ContainerFileObject> {
    const id = newId(ID_PREFIX.containerFile);
    const { bytes } = await this.deps.blobs.write(id, content, maxBytes);
    const file: ContainerFileObject = { id, object: 'container.file', container_id: container.id, created_at: Math.floor(this.deps.clock() / 1000), bytes, path: containerPath(name), source };
    let replaced: ContainerFileObject[] = [];
    try {
      replaced = await this.deps.store.transaction(async (tx) => {
        const old = (await tx.containerFiles.list(project, { limit: 100, order: 'asc' }, { container_id: container.id, path: file.path })).data;
        await tx.containerFiles.deleteWhere(project, { container_id: container.id, path: file.path });
        await tx.containerFiles.insert(project, file);
        return old;
      });
    } catch (err) {
      await this.deps.blobs.delete(id);
      throw err;
    }
    for (const old of replaced) await this.deps.blobs.delete(old.id);
    return file;
  }

  /** Every file of the container, oldest first. */
  all(project: string, containerId: string): Promise<ContainerFileObject[]> {
    return readAll((after) => this.deps.store.containerFiles.list(project, { limit: 100, order: 'asc', after }, { container_id: containerId }));
  }

  list(project: string, containerId: string, page: PageQuery): Promise<Page<ContainerFileObject>> {
    return this.deps.store.containerFiles.list(project, page, { container_id: containerId });
  }

  async get(project: string, containerId: string, fileId: string): Promise<ContainerFileObject> {
    const file = await this.deps.store.containerFiles.get(project, fileId);
    if (!file || file.container_id !== containerId) throw notFound('container file', fileId, 'file_id');
    return file;
  }

  /** Deletes the record and bytes; a live session keeps its own copy in /mnt/data until it ends. */
  async delete(project: string, containerId: string, fileId: string): Promise<void> {
    const file = await this.get(project, containerId, fileId);
    await this.deps.store.containerFiles.delete(project, file.id);
    await this.deps.blobs.delete(file.id);
  }

  content(file: ContainerFileObject): Readable {
    return this.deps.blobs.read(file.id);
  }
}
