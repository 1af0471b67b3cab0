import type { FileObject } from './types.js';
import { nowSeconds } from './ids.js';

/** A stored file as the API shows it: uploads and files a tool produced are the same object. */
export function buildFileObject(id: string, filename: string, bytes: number, purpose: string): FileObject {
  return { id, object: 'file', bytes, created_at: nowSeconds(), filename, purpose, status: 'processed', status_details: null };
}
