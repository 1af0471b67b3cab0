import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { call, spawnServer, uploadRecords, writeResults } from '../support.js';

// What indexed files cost a server: its RSS idle, after uploading BENCH_FILES (10,000) small text files, after
// ingesting them into one vector store (lexical search: no embedding model) and after some searches, with the
// peak (VmHWM) and the data directory's size on disk. For the sizing table in docs/deploy.md.
// BENCH_DATABASE=postgres runs on a private Postgres cluster (the data directory then holds only file bytes).

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 200);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)![1]) / 1024);
}

function diskMiB(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return Math.round(bytes / 1024 / 1024);
}

const settle = () => new Promise((r) => setTimeout(r, 3000));


async function main() {
  const { createTestDatabase } = await import('../../test/support/postgres.js');
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ ASSISTD_EMBEDDING_MODEL: 'none', ASSISTD_CODE_POOL_SIZE: '0', ...database }, { logLevel: 'warn' });
  try {
    await settle();
    const idle = status(server.pid, 'VmRSS');
    const ids = await uploadRecords(server.url, FILES, 4999);
    await settle();
    const uploaded = status(server.pid, 'VmRSS');
    const vs = (await call(`${server.url}/v1/vector_stores`, 'POST', { name: 'bench' })).body as { id: string };
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 10_000) await call(`${server.url}/v1/vector_stores/${vs.id}/file_batches`, 'POST', { file_ids: ids.slice(i, i + 10_000) });
    for (;;) {
      const counts = ((await call(`${server.url}/v1/vector_stores/${vs.id}`, 'GET')).body as { file_counts: { in_progress: number; failed: number } }).file_counts;
      if (counts.in_progress === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    await settle();
    const indexed = status(server.pid, 'VmRSS');
    for (let i = 0; i < SEARCHES; i++) await call(`${server.url}/v1/vector_stores/${vs.id}/search`, 'POST', { query: `locker code word${(i * 37) % 4999} word${(i * 91) % 4999}` });
    await settle();
    const searched = status(server.pid, 'VmRSS');
    const results = {
      database: DATABASE,
      files: FILES,
      rss_mib: { idle, after_upload: uploaded, after_ingest: indexed, after_searches: searched, peak: status(server.pid, 'VmHWM') },
      indexed_files_mib: indexed - idle,
      searched_mib: searched - idle,
      ingest_seconds: Math.round(ingestSeconds),
      data_dir_mib: diskMiB(server.dataDir),
    };
    console.table({ [`RSS (MiB), ${FILES} files, ${DATABASE}, lexical`]: { idle, 'after upload': uploaded, 'after ingest': indexed, [`after ${SEARCHES} searches`]: searched, peak: results.rss_mib.peak, 'data dir': results.data_dir_mib } });
    writeResults(`index-memory-${DATABASE}`, results);
  } finally {
    await server.stop();
  }
}

await main();
