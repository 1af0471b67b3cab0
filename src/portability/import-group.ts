import type { Store } from '../store/store.js';
import type { ImportReport, ReportEntry } from './import-report.js';

/**
 * Writes one group of objects (a thread with its messages, runs and steps; a vector store with its files) in one
 * transaction, so a failure leaves none of it behind; the entries planned as imported are then reported skipped.
 */
export async function writeGroup(store: Store, report: ImportReport, entries: ReportEntry[], write: (tx: Store) => Promise<void>): Promise<boolean> {
  if (!entries.some((e) => e.outcome === 'imported')) {
    report.entries.push(...entries);
    return false;
  }
  try {
    await store.transaction(write);
    report.entries.push(...entries);
    return true;
  } catch (err) {
    const reason = `not written, nothing of its group was: ${err instanceof Error ? err.message : String(err)}`;
    report.entries.push(...entries.map((e) => (e.outcome === 'imported' ? { ...e, outcome: 'skipped' as const, reason } : e)));
    return false;
  }
}
