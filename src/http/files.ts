import type { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import { BlobTooLargeError } from '../blobs/blob-store.js';
import { ApiError, BadRequestError, notFound, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.js';
import { contentTypeOf, FILE_PURPOSES, SUPPORTED_EXTENSIONS } from '../domain/file-types.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import type { FileObject } from '../domain/types.js';
import type { AppDeps } from '../app-deps.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { contentDisposition } from './content-disposition.js';
import { route, type RouteInput } from './route.js';
import { unknownParameter } from './validation.js';

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
      else if (part.fieldname !== 'file') throw unknownParameter(part.fieldname);
      else if (upload) (part as MultipartFile).file.resume();
      else upload = { filename: part.filename, ...(await deps.blobs.write(id, part.file as Readable, deps.config.maxFileBytes)) };
    }
  } catch (err) {
    await deps.blobs.delete(id);
    throw uploadError(err, deps.config.maxFileBytes);
  }
  return { fields, upload };
}

/**
 * What a failed upload tells the client. The multipart parser's own complaints (no boundary, a truncated or
 * garbled body) carry neither a status nor a system call: the body was malformed. A system error (disk full)
 * stays a server error.
 */
export function uploadError(err: unknown, maxFileBytes: number): unknown {
  if (err instanceof BlobTooLargeError || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
    return new PayloadTooLargeError(`File is too large: the maximum is ${maxFileBytes} bytes.`);
  }
  if (err instanceof ApiError || !(err instanceof Error) || 'syscall' in err || 'statusCode' in err) return err;
  return new BadRequestError(`Malformed multipart/form-data body: ${err.message}.`, null, 'invalid_multipart', { cause: err });
}

// What the SDK may send beside the file; files here never expire, so `expires_after` is accepted and ignored.
const UPLOAD_FIELDS = new Set(['purpose', 'expires_after[anchor]', 'expires_after[seconds]']);

function validateUpload(fields: Record<string, string>, upload: { filename: string } | undefined) {
  const unknown = Object.keys(fields).find((name) => !UPLOAD_FIELDS.has(name));
  if (unknown !== undefined) throw unknownParameter(unknown);
  if (!upload) throw new BadRequestError("Missing required parameter: 'file'.", 'file');
  if (!fields.purpose) throw new BadRequestError("Missing required parameter: 'purpose'.", 'purpose');
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(fields.purpose)) {
    throw new BadRequestError(`Invalid 'purpose': '${fields.purpose}'. Expected one of ${UPLOAD_PURPOSES.join(', ')}.`, 'purpose');
  }
  // A control character in a name would travel into downloads' headers and, NUL, into neither database alike.
  if (/[\u0000-\u001f\u007f]/.test(upload.filename)) {
    throw new BadRequestError('Invalid file name: it contains control characters.', 'file', 'invalid_value');
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
      reply.header('content-disposition', contentDisposition(file.filename));
      return reply.send(deps.blobs.read(file.id));
    },
  }),
];
