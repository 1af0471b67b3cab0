import { appRoot } from '../state/route';

/**
 * What this server offers, read from its public `/openapi.json` rather than by probing endpoints: a probe that
 * 404s shows up as an error in the browser console.
 */
export interface Capabilities {
  models: boolean;
  vectorStores: boolean;
  /** `GET /v1/threads`, assistd's thread list (docs/thread-list.md). */
  threadList: boolean;
  /** The Responses API with conversations (Responses mode). */
  responses: boolean;
  /** The Containers API, which code_interpreter in the Responses API runs in. */
  containers: boolean;
}

export async function loadCapabilities(): Promise<Capabilities> {
  const response = await fetch(new URL('openapi.json', new URL(appRoot(), location.href)));
  if (!response.ok) return { models: false, vectorStores: false, threadList: false, responses: false, containers: false };
  const doc = (await response.json()) as { paths?: Record<string, Record<string, unknown>> };
  const paths = doc.paths ?? {};
  return {
    models: Boolean(paths['/v1/models']?.get),
    vectorStores: Boolean(paths['/v1/vector_stores']?.post),
    threadList: Boolean(paths['/v1/threads']?.get),
    responses: Boolean(paths['/v1/responses']?.post && paths['/v1/conversations']?.post),
    containers: Boolean(paths['/v1/containers']?.post),
  };
}
