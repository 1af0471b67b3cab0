import { EventEmitter } from 'node:events';
import type { Run } from '../../domain/types.js';
import type { RunEventRecord } from '../../store/run-events-repo.js';
import type { Store } from '../../store/store.js';

/** A run event as the hosted API streamed it: the SSE event name and its payload object. */
export interface RunEvent {
  event: string;
  data: unknown;
}

/** The channel other processes are woken on when a run's log grows (payload: the run id). */
export const RUN_EVENTS_CHANNEL = 'assistd_run_events';

/** Events that end a stream: the run paused for the client or ended. */
export const STREAM_END_EVENTS = new Set([
  'thread.run.requires_action',
  'thread.run.completed',
  'thread.run.incomplete',
  'thread.run.failed',
  'thread.run.cancelled',
  'thread.run.expired',
  'error',
]);

interface Writer {
  project: string;
  seq: number;
  pending: RunEventRecord[];
  /** Every event since the writer opened, in order, from seq `firstSeq`: local readers are served from here. */
  memory: RunEventRecord[];
  firstSeq: number;
  /** Events of a transaction in progress, shown to readers once it commits. */
  staged: RunEventRecord[];
  /** Pending events a transaction in progress took over; put back if it does not commit. */
  taken: RunEventRecord[];
  /** A status transaction is being prepared or is open: it writes the pending events, flushes stand aside. */
  committing: boolean;
  flushing: Promise<void>;
  scheduled: boolean;
  /** Every append wakes other processes, wanted or not (see `open`). */
  wakeAll: boolean;
}

/**
 * Deltas wait this long to be written (local readers have them at once, from memory): a model that answers
 * quickly has them written with its run's next status change instead of in a transaction of their own.
 */
const DELTA_FLUSH_MS = 10;

/**
 * Events as log records numbered after `seq`. Consecutive events often carry the same object (a run created,
 * then queued): it is serialized once, and the log stores the repeat as a reference (run-events-repo.ts).
 */
function records(events: RunEvent[], seq: number): RunEventRecord[] {
  const out: RunEventRecord[] = [];
  let previous: RunEvent | undefined;
  for (const e of events) {
    const data = previous !== undefined && e.data === previous.data ? out[out.length - 1]!.data : JSON.stringify(e.data);
    out.push({ seq: ++seq, event: e.event, data });
    previous = e;
  }
  return out;
}

/** Told of each run status change once it is committed (`created` for a new run): the run lifecycle log. */
export type RunStatusObserver = (project: string, run: Run, created: boolean) => void;

/**
 * The run event log. Exactly one writer appends to a run at a time (the API while no worker holds the run,
 * else the worker holding its lease), numbering events per run. Deltas are written in small batches off the hot
 * path; events that change the run's status are written in the same transaction as the run itself, after every
 * pending delta, so a reader on any replica sees them in order. Local readers are woken at once, others by
 * NOTIFY or by polling.
 */
export class RunEventLog {
  private readonly writers = new Map<string, Writer>();
  private readonly local = new EventEmitter();
  private stopListening?: () => Promise<void>;

  constructor(private readonly store: Store, private readonly onStatus?: RunStatusObserver) {
    this.local.setMaxListeners(0);
  }

  /** Starts hearing other processes' appends (Postgres). */
  async start(): Promise<void> {
    this.stopListening = await this.store.notifications?.listen(RUN_EVENTS_CHANNEL, (runId) => this.local.emit(runId));
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flushing));
    await this.stopListening?.();
  }

  /**
   * Becomes the run's writer, continuing its numbering. Call when taking a run over. `local`: this process created
   * or resumed the run itself (a handoff), and `lastSeq` skips the lookup when known (a new run's log is empty).
   * Without it the run was claimed from the queue, so another process created or resumed it and may be streaming
   * it; that process's want (pg-notifications.ts) can arrive after the first appends, so every append wakes the
   * others.
   */
  async open(project: string, runId: string, local?: { lastSeq?: number }): Promise<void> {
    const existing = this.writers.get(runId);
    if (existing) {
      await existing.flushing;
      this.writers.delete(runId);
    }
    const seq = local?.lastSeq ?? (await this.store.runEvents.lastSeq(project, runId));
    this.writers.set(runId, { project, seq, pending: [], memory: [], firstSeq: seq + 1, staged: [], taken: [], committing: false, flushing: Promise.resolve(), scheduled: false, wakeAll: !local });
  }

  /** Stops writing the run (after its last committed event); pending deltas are flushed first. */
  async release(runId: string): Promise<void> {
    const writer = this.writers.get(runId);
    if (!writer) return;
    await this.flush(runId);
    this.writers.delete(runId);
  }

  /** Appends events that need not be atomic with a state change (deltas, step progress). */
  emit(runId: string, ...events: RunEvent[]): void {
    const writer = this.requireWriter(runId);
    for (const record of records(events, writer.seq)) {
      writer.pending.push(record);
      writer.memory.push(record);
    }
    writer.seq += events.length;
    this.local.emit(runId);
    this.schedule(runId, writer);
  }

  private schedule(runId: string, writer: Writer): void {
    if (writer.scheduled || writer.pending.length === 0) return;
    writer.scheduled = true;
    setTimeout(() => void this.flush(runId).catch(() => {}), DELTA_FLUSH_MS);
  }

  /**
   * Call before opening a transaction that will `commit` to this run: waits for a write in flight and holds
   * later ones back, so the transaction writes the pending events itself, before its own. End with
   * `committed`, or `abandon` when the transaction did not commit or did not call `commit`.
   */
  async beginCommit(runId: string): Promise<void> {
    const writer = this.writers.get(runId);
    if (!writer) return;
    writer.committing = true;
    await writer.flushing;
  }

  /** The transaction begun with `beginCommit` wrote nothing: pending events go back to the flusher. */
  abandon(runId: string): void {
    const writer = this.writers.get(runId);
    if (!writer) return;
    writer.pending.unshift(...writer.taken.splice(0));
    writer.staged = [];
    writer.committing = false;
    this.schedule(runId, writer);
  }

  /**
   * Appends events inside the caller's transaction `tx`, after every pending event. Without an open writer
   * (the API acting on a run no worker holds: create, submit, expiry) the numbering continues from the stored
   * log, or from `lastSeq` when the caller knows it (a new run's log is empty). Call `committed` once the
   * transaction has committed, to wake readers.
   */
  async commit(tx: Store, project: string, runId: string, events: RunEvent[], lastSeq?: number): Promise<void> {
    const writer = this.writers.get(runId);
    let batch: RunEventRecord[] = [];
    let seq: number;
    if (writer) {
      // No write is in flight (see beginCommit; awaiting one here could deadlock SQLite): the pending events
      // are this transaction's to write.
      batch = writer.pending.splice(0);
      writer.taken = [...batch];
      seq = writer.seq;
    } else {
      seq = lastSeq ?? (await tx.runEvents.lastSeq(project, runId));
    }
    const added = records(events, seq);
    batch.push(...added);
    // The writer's numbering moves on only when the transaction commits (see `committed`).
    if (writer) writer.staged = added;
    await tx.runEvents.append(project, runId, batch, Math.floor(Date.now() / 1000), this.wake(runId));
  }

  /** Wakes readers after a transaction that called `commit` has committed. */
  committed(runId: string): void {
    const writer = this.writers.get(runId);
    if (writer) {
      if (writer.staged.length > 0) {
        writer.seq = writer.staged[writer.staged.length - 1]!.seq;
        writer.memory.push(...writer.staged.splice(0));
      }
      writer.taken = [];
      writer.committing = false;
      this.schedule(runId, writer);
    }
    // Other processes were told by the append, as it committed.
    this.local.emit(runId);
  }

  /** Reports a committed status change (or a new run) to the observer; never throws into the caller. */
  statusChanged(project: string, run: Run, created = false): void {
    try {
      this.onStatus?.(project, run, created);
    } catch {
      // Observing (logging, metrics) must never break a run.
    }
  }

  /** Writes pending events now. */
  async flush(runId: string): Promise<void> {
    const writer = this.writers.get(runId);
    if (!writer) return;
    writer.flushing = writer.flushing.then(async () => {
      writer.scheduled = false;
      // A status transaction is writing them; it reschedules what is left when it ends.
      if (writer.committing) return;
      const batch = writer.pending.splice(0);
      if (batch.length === 0) return;
      try {
        await this.store.runEvents.append(writer.project, runId, batch, Math.floor(Date.now() / 1000), this.wake(runId));
      } catch (err) {
        writer.pending.unshift(...batch);
        throw err;
      }
      this.local.emit(runId);
    });
    return writer.flushing;
  }

  /** The channel an append to the run wakes other processes on: none when no other process follows the run. */
  private wake(runId: string): string | undefined {
    if (this.writers.get(runId)?.wakeAll) return RUN_EVENTS_CHANNEL;
    return this.store.notifications?.wanted(RUN_EVENTS_CHANNEL, runId) === false ? undefined : RUN_EVENTS_CHANNEL;
  }

  /** A reader of a run this process does not write hears of its appends only if the writer knows to wake it. */
  private follow(runId: string): void {
    if (!this.writers.has(runId)) this.store.notifications?.want(RUN_EVENTS_CHANNEL, runId);
  }

  /** Events after `afterSeq`: the stored ones, then this process's not yet written ones. */
  async read(project: string, runId: string, afterSeq: number): Promise<RunEventRecord[]> {
    this.follow(runId);
    const writer = this.writers.get(runId);
    if (writer && afterSeq + 1 >= writer.firstSeq) return writer.memory.slice(afterSeq + 1 - writer.firstSeq);
    const stored = await this.store.runEvents.read(project, runId, afterSeq, 500);
    const last = stored.length > 0 ? stored[stored.length - 1]!.seq : afterSeq;
    // A full page may end before the pending events start: the reader comes back for the rest.
    if (stored.length >= 500) return stored;
    const pending = this.writers.get(runId)?.pending.filter((r) => r.seq > last) ?? [];
    return [...stored, ...pending];
  }

  /** Resolves true when the run's log may have grown, false after `timeoutMs` or when `signal` aborts. */
  wait(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    this.follow(runId);
    return new Promise((resolve) => {
      const done = (grew: boolean) => {
        clearTimeout(timer);
        this.local.off(runId, onEvent);
        signal?.removeEventListener('abort', onAbort);
        resolve(grew);
      };
      const onEvent = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(onAbort, timeoutMs);
      this.local.on(runId, onEvent);
      signal?.addEventListener('abort', onAbort);
    });
  }

  private requireWriter(runId: string): Writer {
    const writer = this.writers.get(runId);
    if (!writer) throw new Error(`run ${runId}: events appended without opening its log`);
    return writer;
  }
}
