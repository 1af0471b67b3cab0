import type { FastifyRequest } from 'fastify';

export type ApiShape = 'v1' | 'v2';

// Azure api-versions that served the v1 Assistants shapes.
const V1_AZURE_VERSIONS = new Set(['2024-02-15-preview', '2024-03-01-preview', '2024-04-01-preview']);

/** `OpenAI-Beta: assistants=v1`, or an Azure api-version of the v1 era, selects v1 shapes; v2 otherwise. */
export function apiShape(request: FastifyRequest): ApiShape {
  const beta = request.headers['openai-beta'];
  const betaText = Array.isArray(beta) ? beta.join(',') : beta ?? '';
  if (/assistants=v1/.test(betaText)) return 'v1';
  const version = (request.query as Record<string, unknown> | undefined)?.['api-version'];
  return typeof version === 'string' && V1_AZURE_VERSIONS.has(version) ? 'v1' : 'v2';
}
