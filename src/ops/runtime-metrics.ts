/**
 * Prometheus series read from state the runtime keeps anyway, at scrape time (`collect`): SSE streams open, code
 * sandbox sessions, the ingestion queue. Nothing here runs on a request's or a run's path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { openStreams } from '../http/open-streams.js';
import type { VectorStoreIngestion } from '../ingest/vector-store-ingestion.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Store } from '../store/store.js';

export interface RuntimeMetricsSources {
  store: Store;
  sandbox: Sandbox;
  ingestion: VectorStoreIngestion;
}

/** A counter whose values are totals kept elsewhere: each scrape copies them in. */
function mirroredCounter(registry: Registry, name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, total] of Object.entries(read())) this.inc({ [label]: value }, total);
    },
  });
}

export function registerRuntimeMetrics(registry: Registry, { store, sandbox, ingestion }: RuntimeMetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: 'assistd_sse_streams_open',
    help: 'Server-sent event streams open, by API (runs, chat, responses).',
    labelNames: ['api'],
    registers,
    collect() {
      for (const [api, open] of Object.entries(openStreams())) this.set({ api }, open);
    },
  });
  new Gauge({
    name: 'assistd_code_sessions_active',
    help: 'Code interpreter sessions holding a slot (one per thread that ran code recently).',
    registers,
    collect() {
      this.set(sandbox.stats().sessions);
    },
  });
  new Gauge({
    name: 'assistd_code_workers_pooled',
    help: 'Started Python workers waiting in the warm pool.',
    registers,
    collect() {
      this.set(sandbox.stats().pooled);
    },
  });
  new Counter({
    name: 'assistd_code_worker_starts_total',
    help: 'Python workers started (for the pool, and after a kill).',
    registers,
    collect() {
      this.reset();
      this.inc(sandbox.stats().workerStarts);
    },
  });
  mirroredCounter(registry, 'assistd_code_worker_kills_total', 'Python workers killed during a call, by cause (timeout, cancelled, crash).', 'cause', () => sandbox.stats().kills);
  new Gauge({
    name: 'assistd_ingest_queue_depth',
    help: 'Vector store files waiting or being processed, across all processes sharing the database.',
    registers,
    async collect() {
      this.set(await store.vectorStoreFiles.queued());
    },
  });
  new Gauge({
    name: 'assistd_ingest_files_active',
    help: 'Vector store files this process is processing now.',
    registers,
    collect() {
      this.set(ingestion.active());
    },
  });
  mirroredCounter(registry, 'assistd_ingest_files_total', 'Vector store files this process processed, by outcome (completed, failed, discarded, released).', 'outcome', () => ingestion.processed());
}
