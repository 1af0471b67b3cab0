import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// The playground renders model output as HTML; this policy is the second line of defence behind its escaping:
// no inline or foreign scripts, and requests only to this server. Images may be blob: (files fetched with the
// key) or https: (image_url message parts).
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The playground's own addresses (web/src/state/route.ts): the page is served for them so a reload or a shared
 * link works. They sit beside the API prefixes (/v1, /openai), never under them, so no API route is shadowed.
 */
const PAGE_PATHS = ['/assistants/:assistant_id', '/assistants/:assistant_id/threads/:thread_id', '/threads/:thread_id', '/stores', '/stores/:vector_store_id', '/files', '/responses', '/responses/:conversation_id'];

/**
 * The page's asset references are relative (`./assets/…`, so a proxy's path prefix works); a page served at a
 * deeper path points them back up to the root it was served from.
 */
function relativeTo(html: string, url: string): string {
  const depth = url.split('?')[0]!.split('/').length - 2;
  return depth > 0 ? html.replaceAll('"./', `"${'../'.repeat(depth)}`) : html;
}

/** The built playground: `dist/web` beside the compiled server, or the checkout's `dist/web` when running from src/. */
export function findWebRoot(): string | undefined {
  for (const candidate of ['../web', '../../dist/web']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

async function sendFile(reply: FastifyReply, path: string, cacheControl: string) {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  reply.header('content-type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
  reply.header('cache-control', cacheControl);
  reply.header('x-content-type-options', 'nosniff');
  return reply.send(await readFile(path));
}

/**
 * Serves the playground's static files at `/` without auth: the page holds no data, and every API call it makes
 * carries the key the user typed. Only files inside the web root are served.
 */
export function installWebAssets(app: FastifyInstance, root: string | undefined = findWebRoot()): void {
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!root) {
      return reply.status(404).type('text/plain; charset=utf-8').send('The playground is not built. Run `npm run build` and restart assistd.\n');
    }
    const html = await readFile(join(root, 'index.html'), 'utf8').catch(() => undefined);
    if (html === undefined) return reply.callNotFound();
    reply.header('content-security-policy', PAGE_POLICY);
    reply.header('cache-control', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return reply.type(CONTENT_TYPES['.html']!).send(relativeTo(html, request.url));
  };
  app.get('/', page);
  app.get('/index.html', page);
  for (const path of PAGE_PATHS) app.get(path, page);
  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const base = root ? resolve(root, 'assets') : undefined;
    const path = base ? resolve(base, name) : undefined;
    // Asset names carry a content hash, so they can be cached for good.
    const sent = path && path.startsWith(base + sep) && !name.includes('\0') ? await sendFile(reply, path, 'public, max-age=31536000, immutable') : undefined;
    if (sent) return sent;
    return reply.callNotFound();
  });
}
