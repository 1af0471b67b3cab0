import { sql, type Kysely } from 'kysely';
import type { Assistant } from '../domain/types.js';
import { runCompiled } from './compiled-statements.js';
import { createDocumentRepo } from './document-repo.js';
import { failedCast, failWhenNone } from './failing-cast.js';
import type { DocumentRepo } from './store.js';

/** An assistant as read, with the version of its row (any write of the row changes it). */
export interface VersionedAssistant {
  assistant: Assistant;
  version: string;
  /** Its JSON as stored, for callers that keep it (and parse a copy of their own for each use). */
  json: string;
}

/**
 * The assistants. Postgres adds a versioned read and a check of that version inside a transaction, so a process
 * may keep assistants it has read and still never act on one that was changed meanwhile (by another replica).
 */
export interface AssistantsRepo extends DocumentRepo<Assistant> {
  getVersioned?(project: string, id: string): Promise<VersionedAssistant | undefined>;
  /**
   * Inside a transaction: fails it (an error `isStaleAssistant` recognizes) when the assistant's row is no longer
   * at `version`, or gone. Its answer is not read: it is sent with the transaction's next statement or its commit.
   */
  refuseStale?(project: string, id: string, version: string): Promise<void>;
}

const MARK = 'assistd_stale_assistant_';

/** Whether `err` is the failure of `refuseStale`'s check. */
export const isStaleAssistant = (err: unknown): boolean => failedCast(err, MARK) !== undefined;

// The row version is Postgres's xmin, the transaction that wrote the row's current version: every UPDATE writes a
// new one, and a row deleted and inserted again gets a new one too. A frozen row keeps its xmin (Postgres >= 9.4).
// The failing cast runs only when no row is at the version (failWhenNone).
const STALE = failWhenNone(MARK, '"id"');

/** `versioned`: offer getVersioned and refuseStale (Postgres, whose driver holds unread statements). */
export function createAssistantsRepo(db: Kysely<any>, versioned: boolean): AssistantsRepo {
  const repo = createDocumentRepo<Assistant>(db, 'assistants');
  if (!versioned) return repo;
  return {
    ...repo,
    async getVersioned(project, id) {
      const { rows } = await runCompiled<{ data: string; version: string }>(
        db,
        'assistants:get-versioned',
        () => db.selectFrom('assistants').select(['data', sql<string>`xmin::text`.as('version')]).where('id', '=', id).where('project', '=', project),
        [id, project],
      );
      const row = rows[0];
      return row && { assistant: JSON.parse(row.data) as Assistant, version: row.version, json: row.data };
    },
    async refuseStale(project, id, version) {
      const check = () => db.selectFrom('assistants').select(sql.raw(STALE).as('stale')).where('id', '=', id).where('project', '=', project).where(sql`xmin::text`, '=', version);
      await runCompiled(db, 'assistants:refuse-stale', check, [id, project, version], { unread: true });
    },
  };
}
