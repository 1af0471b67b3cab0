import type { Kysely } from 'kysely';
import type { ResponseItem, ResponseObject } from '../domain/responses.js';

/**
 * Stored responses: the wire object, plus the input items the response was created with (its own, not its
 * chain's) and the columns a chain or a conversation is found by.
 */
export interface ResponsesRepo {
  insert(project: string, response: ResponseObject, input: ResponseItem[]): Promise<void>;
  get(project: string, id: string): Promise<ResponseObject | undefined>;
  /** The response's own input items in the order given, or undefined when there is no such response. */
  input(project: string, id: string): Promise<ResponseItem[] | undefined>;
  /**
   * Replaces the stored object (status, output, usage) while it is still queued or in progress; false when it
   * no longer exists or has already ended (a cancel and the finishing writer race: the first one wins).
   */
  replace(project: string, response: ResponseObject): Promise<boolean>;
  delete(project: string, id: string): Promise<boolean>;
}

function columns(response: ResponseObject) {
  return { data: JSON.stringify(response), status: response.status };
}

export function createResponsesRepo(db: Kysely<any>): ResponsesRepo {
  const row = (project: string, id: string) => db.selectFrom('responses').where('id', '=', id).where('project', '=', project);
  return {
    async insert(project, response, input) {
      await db
        .insertInto('responses')
        .values({
          id: response.id,
          project,
          created_at: response.created_at,
          input: JSON.stringify(input),
          previous_response_id: response.previous_response_id,
          conversation_id: response.conversation?.id ?? null,
          ...columns(response),
        })
        .execute();
    },
    async get(project, id) {
      const found = await row(project, id).select('data').executeTakeFirst();
      return found ? (JSON.parse(found.data) as ResponseObject) : undefined;
    },
    async input(project, id) {
      const found = await row(project, id).select('input').executeTakeFirst();
      return found ? (JSON.parse(found.input) as ResponseItem[]) : undefined;
    },
    async replace(project, response) {
      const result = await db
        .updateTable('responses')
        .set(columns(response))
        .where('id', '=', response.id)
        .where('project', '=', project)
        .where('status', 'in', ['queued', 'in_progress'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async delete(project, id) {
      const result = await db.deleteFrom('responses').where('id', '=', id).where('project', '=', project).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
