import { extname } from 'node:path';

/** The seed's table of supported file types, plus the extra text types file_search reads. */
const CONTENT_TYPES: Record<string, string> = {
  '.c': 'text/x-c',
  '.cpp': 'text/x-c++',
  '.cs': 'text/x-csharp',
  '.csv': 'application/csv',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.go': 'text/x-golang',
  '.html': 'text/html',
  '.java': 'text/x-java',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.md': 'text/markdown',
  '.pdf': 'application/pdf',
  '.php': 'text/x-php',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.py': 'text/x-python',
  '.rb': 'text/x-ruby',
  '.sh': 'application/x-sh',
  '.tex': 'text/x-tex',
  '.txt': 'text/plain',
  '.css': 'text/css',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.js': 'text/javascript',
  '.gif': 'image/gif',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.tar': 'application/x-tar',
  '.ts': 'application/typescript',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.xml': 'application/xml',
  '.zip': 'application/zip',
};

export const SUPPORTED_EXTENSIONS = Object.keys(CONTENT_TYPES);

/** The content type a file is served with, from its extension; undefined for an unsupported type. */
export function contentTypeOf(filename: string): string | undefined {
  return CONTENT_TYPES[extname(filename).toLowerCase()];
}

export const FILE_PURPOSES = ['assistants', 'assistants_output', 'vision', 'batch', 'fine-tune', 'user_data'] as const;
