/**
 * `GET /models` and `GET /models/{model}`: the names a run or chat completion can use here (see
 * `ModelRegistry.listModels`), in the OpenAI shape, so model pickers built on the SDK work unchanged.
 */
import { ApiError } from '../domain/errors.js';
import type { ModelRegistry } from '../providers/registry.js';
import { route } from './route.js';

async function retrieve(models: ModelRegistry, project: string, id: string) {
  const found = (await models.listModels(project)).find((m) => m.id === id);
  if (!found) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
  return found;
}

export const modelRoutes = [
  route({
    method: 'GET',
    path: '/models',
    summary: 'List models',
    async handler({ project }, { models }) {
      return { object: 'list', data: await models.listModels(project) };
    },
  }),
  route({
    method: 'GET',
    path: '/models/:model',
    summary: 'Retrieve a model',
    handler: ({ params, project }, { models }) => retrieve(models, project, params.model!),
  }),
  // Hugging Face style ids (`org/name`, as vLLM serves them) arrive unencoded from older SDKs.
  route({
    method: 'GET',
    path: '/models/:owner/:model',
    summary: 'Retrieve a model whose id has an owner prefix',
    handler: ({ params, project }, { models }) => retrieve(models, project, `${params.owner!}/${params.model!}`),
  }),
];
