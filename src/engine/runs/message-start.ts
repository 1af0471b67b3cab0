import type { Message, RunStep } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import type { RunEvent, RunEventLog } from '../events/run-events.js';

/**
 * How long the in-progress message and its step wait to be written after the model's first text. A model that
 * answers at once (a short reply from a fast or local model) has finished its turn by then: the run's last
 * transaction inserts them as they end (`take`), and the run costs one transaction, and on Postgres one round
 * trip, less. Longer replies show their first text this much later, which no reader can tell from the model.
 */
const START_HOLD_MS = 1;

/**
 * The message a model turn is writing and its message_creation step, from the first text on. Their events
 * (created, in_progress) and every event of the run after them are shown only once the rows are stored, so a
 * client that reads the message when `thread.message.created` arrives finds it.
 */
export class MessageStart {
  #state: 'held' | 'writing' | 'written' | 'taken' = 'held';
  #held: RunEvent[];
  #writing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly events: RunEventLog,
    private readonly project: string,
    readonly message: Message,
    readonly step: RunStep,
  ) {
    this.#held = [
      { event: 'thread.run.step.created', data: step },
      { event: 'thread.run.step.in_progress', data: step },
      { event: 'thread.message.created', data: message },
      { event: 'thread.message.in_progress', data: message },
    ];
    // A failed write surfaces where the run next waits for it (`write`), as the store error it is.
    this.#timer = setTimeout(() => void this.write().catch(() => {}), START_HOLD_MS);
  }

  /** Emits events of the run that follow the message's: now if the rows are stored, else once they are. */
  emit(...events: RunEvent[]): void {
    if (this.#state === 'written') this.events.emit(this.step.run_id, ...events);
    else this.#held.push(...events);
  }

  /** Writes the rows now unless written or taken already; resolves once they are stored and their events shown. */
  write(): Promise<void> {
    if (this.#state === 'held') {
      clearTimeout(this.#timer);
      this.#state = 'writing';
      this.#writing = this.store
        .transaction(async (tx) => {
          await tx.runSteps.insert(this.project, this.step);
          await tx.messages.insert(this.project, this.message);
        })
        .then(() => {
          this.#state = 'written';
          this.events.emit(this.step.run_id, ...this.#held.splice(0));
        });
    }
    return this.#writing ?? Promise.resolve();
  }

  /**
   * The held events when the rows are not written yet, which are then the caller's to insert (in their final
   * state) in a transaction that logs these events before its own; undefined when the write has begun.
   */
  take(): RunEvent[] | undefined {
    if (this.#state !== 'held') return undefined;
    clearTimeout(this.#timer);
    this.#state = 'taken';
    return this.#held.splice(0);
  }
}
