import type { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps.js';
import { BadRequestError } from '../../domain/errors.js';
import type { ContainerFileObject } from '../../domain/containers.js';
import { contentTypeOf } from '../../domain/file-types.js';
import { contentDisposition } from '../content-disposition.js';
import { uploadError } from '../files.js';
import { listQuery, pageQuery, toListPage } from '../pagination.js';
import { route, type RouteInput } from '../route.js';
import { parseInput, unknownParameter } from '../validation.js';

const jsonBody = z.strictObject({ file_id: z.string().min(1) });

/** A multipart upload streamed straight into the container; `file` is its one part. */
async function receive(input: RouteInput<unknown, unknown>, deps: AppDeps, containerId: string): Promise<ContainerFileObject> {
  let saved: ContainerFileObject | undefined;
  try {
    for await (const part of input.request.parts()) {
      if (part.type === 'field') throw unknownParameter(part.fieldname);
      if (part.fieldname !== 'file') throw unknownParameter(part.fieldname);
      if (saved) (part as MultipartFile).file.resume();
      else saved = await deps.containers.addFile(input.project, containerId, { filename: part.filename, content: part.file as Readable });
    }
  } catch (err) {
    throw uploadError(err, deps.config.maxFileBytes);
  }
  if (!saved) throw new BadRequestError("Missing required parameter: 'file' (or send 'file_id' as JSON).", 'file');
  return saved;
}

const filename = (file: ContainerFileObject) => file.path.split('/').pop() ?? file.id;

export const containerFileRoutes = [
  route({
    method: 'POST',
    path: '/containers/:container_id/files',
    summary: 'Create container file',
    multipart: true,
    async handler(input, deps) {
      const id = input.params.container_id!;
      if (input.request.isMultipart()) return receive(input, deps, id);
      const body = parseInput(jsonBody, input.request.body ?? {});
      return deps.containers.addFile(input.project, id, { fileId: body.file_id });
    },
  }),
  route({
    method: 'GET',
    path: '/containers/:container_id/files',
    summary: 'List container files',
    query: listQuery(),
    async handler({ params, query, project }, { containers }) {
      const container = await containers.get(project, params.container_id!);
      return toListPage(await containers.files.list(project, container.id, pageQuery(query)));
    },
  }),
  route({
    method: 'GET',
    path: '/containers/:container_id/files/:file_id',
    summary: 'Retrieve container file',
    async handler({ params, project }, { containers }) {
      await containers.get(project, params.container_id!);
      return containers.files.get(project, params.container_id!, params.file_id!);
    },
  }),
  route({
    method: 'DELETE',
    path: '/containers/:container_id/files/:file_id',
    summary: 'Delete container file',
    async handler({ params, project }, { containers }) {
      await containers.get(project, params.container_id!);
      await containers.files.delete(project, params.container_id!, params.file_id!);
      return { id: params.file_id!, object: 'container.file.deleted', deleted: true };
    },
  }),
  route({
    method: 'GET',
    path: '/containers/:container_id/files/:file_id/content',
    summary: 'Retrieve container file content',
    async handler({ params, project, reply }, { containers }) {
      await containers.get(project, params.container_id!);
      const file = await containers.files.get(project, params.container_id!, params.file_id!);
      reply.header('content-type', contentTypeOf(filename(file)) ?? 'application/octet-stream');
      reply.header('content-length', String(file.bytes));
      reply.header('content-disposition', contentDisposition(filename(file)));
      return reply.send(containers.files.content(file));
    },
  }),
];
