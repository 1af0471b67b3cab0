import { sql, type Kysely } from 'kysely';
import { runCompiled } from './compiled-statements.js';

/** One entry of a run's event log: the SSE event name and its JSON payload, numbered per run from 1. */
export interface RunEventRecord {
  seq: number;
  event: string;
  data: string;
}

/** The append-only run event log that SSE streams read, on whichever replica they are served. */
export interface RunEventsRepo {
  /**
   * `wake`: a channel that other processes listening on it are told the run id on, when the rows commit; sent
   * in the same statement (no round trip of its own), on stores with notifications.
   */
  append(project: string, runId: string, events: RunEventRecord[], createdAt: number, wake?: string): Promise<void>;
  /**
   * Events with seq > afterSeq in order: all of them, or at least `limit` when there are more (events are
   * stored in batches, and a batch is returned whole).
   */
  read(project: string, runId: string, afterSeq: number, limit: number): Promise<RunEventRecord[]>;
  /** The highest seq written for the run, 0 when none. */
  lastSeq(project: string, runId: string): Promise<number>;
}

/**
 * The `event` of a row that holds a batch of consecutive events (no SSE event has this name). A run writes its
 * events a few times per run (with each status change, deltas in between), and one row per write instead of
 * one per event costs a fraction of the index and WAL work. Its `seq` is its last event's, so `seq > after`
 * finds every row holding an event after `after`, and the highest seq is still the log's last.
 */
const BATCH = '*';

/**
 * A batch's data: `[[event, payload], ...]`, spliced from the payloads' JSON as they are. An entry whose payload
 * is the one before it (a run `created` then `queued`, a step or message `created` then `in_progress`) is
 * `[event]` alone: status events carry whole objects, and these pairs would store each twice.
 */
function packed(events: RunEventRecord[]): string {
  let out = '[';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (i > 0) out += ',';
    out += i > 0 && e.data === events[i - 1]!.data ? `[${JSON.stringify(e.event)}]` : `[${JSON.stringify(e.event)},${e.data}]`;
  }
  return out + ']';
}

function unpacked(row: RunEventRecord): RunEventRecord[] {
  const entries = JSON.parse(row.data) as Array<[string, unknown?]>;
  const first = row.seq - entries.length + 1;
  let data = '';
  return entries.map((entry, i) => {
    if (entry.length > 1) data = JSON.stringify(entry[1]);
    return { seq: first + i, event: entry[0], data };
  });
}

/** Appends (one row per call) and reads compile once: every run does both (compiled-statements.ts). */
export function createRunEventsRepo(db: Kysely<any>, notify: boolean): RunEventsRepo {
  return {
    async append(project, runId, events, createdAt, wake) {
      if (events.length === 0) return;
      const single = events.length === 1;
      const last = events[events.length - 1]!;
      const row = { run_id: runId, seq: last.seq, project, event: single ? last.event : BATCH, data: single ? last.data : packed(events), created_at: createdAt };
      const insert = () => db.insertInto('run_events').values(row);
      if (wake === undefined || !notify) {
        await runCompiled(db, 'run_events:append', insert, Object.values(row));
        return;
      }
      // Postgres delivers a NOTIFY when its transaction commits, so the wake-up never runs ahead of the rows.
      await runCompiled(
        db,
        'run_events:append-notify',
        () => db.with('appended', () => insert()).selectNoFrom(sql`pg_notify(${wake}, ${runId})`.as('notified')),
        [...Object.values(row), wake, runId],
      );
    },
    async read(project, runId, afterSeq, limit) {
      const { rows } = await runCompiled<RunEventRecord>(
        db,
        `run_events:read:${Math.trunc(limit)}`,
        // The limit is a literal on every dialect, so the statement's parameters are the same everywhere.
        () => db.selectFrom('run_events').select(['seq', 'event', 'data']).where('run_id', '=', runId).where('seq', '>', afterSeq).where('project', '=', project).orderBy('seq').modifyEnd(sql`limit ${sql.lit(Math.trunc(limit))}`),
        [runId, afterSeq, project],
      );
      if (!rows.some((r) => r.event === BATCH)) return rows;
      return rows.flatMap((r) => (r.event === BATCH ? unpacked(r).filter((e) => e.seq > afterSeq) : [r]));
    },
    async lastSeq(project, runId) {
      const { rows } = await runCompiled<{ seq: number | string | null }>(
        db,
        'run_events:last-seq',
        () => db.selectFrom('run_events').select((eb) => eb.fn.max('seq').as('seq')).where('run_id', '=', runId).where('project', '=', project),
        [runId, project],
      );
      return Number(rows[0]?.seq ?? 0);
    },
  };
}
