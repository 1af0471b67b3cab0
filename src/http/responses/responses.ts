import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../../domain/errors.js';
import type { ResponseObject } from '../../domain/responses.js';
import { cancelResponse, queueBackgroundResponse } from '../../engine/responses/background-responses.js';
import { executeResponse, prepareResponse } from '../../engine/responses/create-response.js';
import { itemsView, responseView } from '../../engine/responses/response-includes.js';
import { includeQueryParams, queryIncludes } from './include-query.js';
import type { Store } from '../../store/store.js';
import { listQuery } from '../pagination.js';
import { route } from '../route.js';
import { checkImageFiles } from './input-items.js';
import { pageOfItems } from './item-page.js';
import { responseCreateBody, toResponseRequest } from './response-create-body.js';
import { checkCodeContainers, checkVectorStores, responseEngineDeps } from './response-deps.js';
import { streamResponse, streamStoredResponse } from './response-stream.js';

async function getResponse(store: Store, project: string, id: string): Promise<ResponseObject> {
  const response = await store.responses.get(project, id);
  if (!response) throw new NotFoundError(`Response with id '${id}' not found.`, 'response_id');
  return response;
}

const retrieveQuery = z.object({
  stream: z.enum(['true', 'false']).optional(),
  starting_after: z.coerce.number().int().min(0).optional(),
  include_obfuscation: z.enum(['true', 'false']).optional(),
  ...includeQueryParams,
});

const noop = () => {};

// What a token count shares with a create: the prompt's parts. Nothing else of a create means anything here.
const inputTokensBody = responseCreateBody
  .pick({ model: true, input: true, instructions: true, tools: true, tool_choice: true, parallel_tool_calls: true, previous_response_id: true, conversation: true, reasoning: true, text: true, truncation: true })
  .extend({ personality: z.string().optional() });

export const responseRoutes = [
  route({
    method: 'POST',
    path: '/responses',
    summary: 'Create response',
    body: responseCreateBody,
    async handler({ body, project, request, reply }, app) {
      const deps = responseEngineDeps(app, request.log);
      const req = toResponseRequest(body);
      await checkImageFiles(app.store, project, req.input, 'input');
      await checkVectorStores(app, project, req);
      await checkCodeContainers(app, project, req);
      const prepared = await prepareResponse(deps, project, req, app.rateLimiter?.countsKeyTokens ? request.keyId : undefined);
      if (prepared.response.background) {
        const queued = await queueBackgroundResponse({ ...deps, events: app.events }, project, prepared);
        app.backgroundResponses.kick(queued.id);
        if (!body.stream) return responseView(queued, req.include);
        await streamStoredResponse(request, reply, { store: app.store, events: app.events, project, responseId: queued.id, startingAfter: -1 });
        return undefined;
      }
      if (!body.stream) return responseView(await executeResponse(deps, project, prepared, noop), req.include);
      await streamResponse(request, reply, (emit) => executeResponse(deps, project, prepared, emit));
      return undefined;
    },
  }),
  route({
    method: 'POST',
    path: '/responses/input_tokens',
    summary: 'Count input tokens',
    body: inputTokensBody,
    async handler({ body, project }, { store, models, blobs }) {
      const req = toResponseRequest(body);
      await checkImageFiles(store, project, req.input, 'input');
      const { promptTokens } = await prepareResponse({ store, models, blobs }, project, req);
      return { object: 'response.input_tokens', input_tokens: promptTokens };
    },
  }),
  route({
    method: 'GET',
    path: '/responses/:response_id',
    summary: 'Retrieve response',
    query: retrieveQuery,
    async handler({ params, query, project, request, reply }, { store, events }) {
      const response = await getResponse(store, project, params.response_id!);
      if (query.stream !== 'true') return responseView(response, queryIncludes(query));
      // Only a background response keeps its events; the others were streamed by the request that made them.
      if (!response.background) throw new BadRequestError('Only responses created with background=true can be streamed when retrieved.', 'stream');
      await streamStoredResponse(request, reply, { store, events, project, responseId: response.id, startingAfter: query.starting_after ?? -1 });
      return undefined;
    },
  }),
  route({
    method: 'DELETE',
    path: '/responses/:response_id',
    summary: 'Delete response',
    async handler({ params, project }, { store }) {
      const id = params.response_id!;
      if (!(await store.responses.delete(project, id))) throw new NotFoundError(`Response with id '${id}' not found.`, 'response_id');
      return { id, object: 'response.deleted', deleted: true };
    },
  }),
  route({
    method: 'POST',
    path: '/responses/:response_id/cancel',
    summary: 'Cancel response',
    async handler({ params, project, request }, { store, models, backgroundResponses }) {
      return responseView(await cancelResponse({ store, models, logger: request.log }, project, params.response_id!, (id) => backgroundResponses.cancel(id)), []);
    },
  }),
  route({
    method: 'GET',
    path: '/responses/:response_id/input_items',
    summary: 'List input items',
    query: listQuery().extend(includeQueryParams),
    async handler({ params, query, project }, { store }) {
      const id = params.response_id!;
      const input = await store.responses.input(project, id);
      if (!input) throw new NotFoundError(`Response with id '${id}' not found.`, 'response_id');
      return pageOfItems(itemsView(input, queryIncludes(query)), query);
    },
  }),
];
