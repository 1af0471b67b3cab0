import type { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import { BlobTooLargeError } from '../blobs/blob-store.js';
import { BadRequestError, notFound, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.js';
import { contentTypeOf, FILE_PURPOSES, SUPPORTED_EXTENSIONS } from '../domain/file-types.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import type { FileObject } from '../domain/types.js';
import type { AppDeps } from '../app-deps.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { route, type RouteInput } from './route.js';

const UPLOAD_PURPOSES = FILE_PURPOSES.filter((p) => p !== 'assistants_output');

export async function getFile(deps: AppDeps, project: string, id: string): Promise<FileObject> {
  const file = await deps.store.files.get(project, id);
  if (!file) throw notFound('file', id);
  return file;
}

/**
 * Reads the multipart body part by part. The SDK sends `file` before `purpose`, so the bytes are streamed to a
 * blob first and the blob is removed again if the fields turn out to be invalid.
 */
async function receiveUpload(input: RouteInput<unknown, unknown>, deps: AppDeps, id: string) {
  if (!input.request.isMultipart()) throw new UnsupportedMediaTypeError('File uploads must be sent as multipart/form-data.');
  const fields: Record<string, string> = {};
  let upload: { filename: string; bytes: number } | undefined;
  try {
    for await (const part of input.request.parts()) {
      if (part.type === 'field') fields[part.fieldname] = String(part.value);
      else if (part.fieldname !== 'file' || upload) (part as MultipartFile).file.resume();
      else upload = { filename: part.filename, ...(await deps.blobs.write(id, part.file as Readable, deps.config.maxFileBytes)) };
    }
  } catch (err) {
    await deps.blobs.delete(id);
    if (err instanceof BlobTooLargeError || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new PayloadTooLargeError(`File is too large: the maximum is ${deps.config.maxFileBytes} bytes.`);
    }
    throw err;
  }
  return { fields, upload };
}

function validateUpload(fields: Record<string, string>, upload: { filename: string } | undefined) {
  if (!upload) throw new BadRequestError("Missing required parameter: 'file'.", 'file');
  if (!fields.purpose) throw new BadRequestError("Missing required parameter: 'purpose'.", 'purpose');
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(fields.purpose)) {
    throw new BadRequestError(`Invalid 'purpose': '${fields.purpose}'. Expected one of ${UPLOAD_PURPOSES.join(', ')}.`, 'purpose');
  }
  if (!contentTypeOf(upload.filename)) {
    throw new BadRequestError(
      `Invalid file format for '${upload.filename}'. Supported formats: ${SUPPORTED_EXTENSIONS.join(', ')}.`,
      'file',
      'unsupported_file',
    );
  }
  return fields.purpose;
}

export const fileRoutes = [
  route({
    method: 'POST',
    path: '/files',
    summary: 'Upload file',
    multipart: true,
    async handler(input, deps) {
      const id = newId(ID_PREFIX.file);
      const { fields, upload } = await receiveUpload(input, deps, id);
      let purpose: string;
      try {
        purpose = validateUpload(fields, upload);
      } catch (err) {
        await deps.blobs.delete(id);
        throw err;
      }
      const file = buildFileObject(id, upload!.filename, upload!.bytes, purpose);
      await deps.store.files.insert(input.project, file);
      return file;
    },
  }),
  route({
    method: 'GET',
    path: '/files',
    summary: 'List files',
    query: listQuery({ maxLimit: 10_000, defaultLimit: 10_000 }).extend({ purpose: z.string().optional() }),
    async handler({ query, project }, { store }) {
      const page = await store.files.list(project, pageQuery(query), query.purpose ? { purpose: query.purpose } : {});
      return toListPage(page);
    },
  }),
  route({
    method: 'GET',
    path: '/files/:file_id',
    summary: 'Retrieve file',
    async handler({ params, project }, deps) {
      return getFile(deps, project, params.file_id!);
    },
  }),
  route({
    method: 'DELETE',
    path: '/files/:file_id',
    summary: 'Delete file',
    async handler({ params, project }, deps) {
      const file = await getFile(deps, project, params.file_id!);
      // A deleted file must not stay searchable or citable in any store; stores go first, so a failed delete can be retried.
      for (const vectorStoreId of await deps.store.vectorStoreFiles.storesOf(project, file.id)) await deps.ingestion.removeFile(project, vectorStoreId, file.id);
      await deps.store.files.delete(project, file.id);
      await deps.blobs.delete(file.id);
      return { id: file.id, object: 'file', deleted: true };
    },
  }),
  route({
    method: 'GET',
    path: '/files/:file_id/content',
    summary: 'Retrieve file content',
    async handler({ params, project, reply }, deps) {
      const file = await getFile(deps, project, params.file_id!);
      reply.header('content-type', contentTypeOf(file.filename) ?? 'application/octet-stream');
      reply.header('content-length', String(file.bytes));
      reply.header('content-disposition', `attachment; filename="${file.filename.replace(/["\\\r\n]/g, '_')}"`);
      return reply.send(deps.blobs.read(file.id));
    },
  }),
];
