import type { Kysely } from 'kysely';

/** One entry of a run's event log: the SSE event name and its JSON payload, numbered per run from 1. */
export interface RunEventRecord {
  seq: number;
  event: string;
  data: string;
}

/** The append-only run event log that SSE streams read, on whichever replica they are served. */
export interface RunEventsRepo {
  append(project: string, runId: string, events: RunEventRecord[], createdAt: number): Promise<void>;
  /** Events with seq > afterSeq in order, at most `limit`. */
  read(project: string, runId: string, afterSeq: number, limit: number): Promise<RunEventRecord[]>;
  /** The highest seq written for the run, 0 when none. */
  lastSeq(project: string, runId: string): Promise<number>;
}

export function createRunEventsRepo(db: Kysely<any>): RunEventsRepo {
  return {
    async append(project, runId, events, createdAt) {
      if (events.length === 0) return;
      await db
        .insertInto('run_events')
        .values(events.map((e) => ({ run_id: runId, seq: e.seq, project, event: e.event, data: e.data, created_at: createdAt })))
        .execute();
    },
    async read(project, runId, afterSeq, limit) {
      return db
        .selectFrom('run_events')
        .select(['seq', 'event', 'data'])
        .where('run_id', '=', runId)
        .where('seq', '>', afterSeq)
        .where('project', '=', project)
        .orderBy('seq')
        .limit(limit)
        .execute();
    },
    async lastSeq(project, runId) {
      const row = await db
        .selectFrom('run_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', runId)
        .where('project', '=', project)
        .executeTakeFirst();
      return Number(row?.seq ?? 0);
    },
  };
}
