/**
 * `assistd doctor`: tries what a deployment depends on (data directory, database and migrations, the code
 * sandbox and its Python libraries, each configured model provider and the embedding model) and prints one line
 * per check: what works, and for what does not, what to fix.
 */
import { ProviderError } from '../providers/chat-model.js';
import type { Config } from '../config.js';
import { collectChat } from '../providers/collect-chat.js';
import { createModelRegistry } from '../providers/registry.js';
import { createSandbox } from '../sandbox/sandbox.js';
import { providersConfig } from '../server.js';
import { createStore } from '../store/create-store.js';
import { describeDatabase, describeProviders } from './banner.js';
import { prepareDataDir } from './data-dir.js';
import { explainDatabaseError } from './startup-errors.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const CALL_TIMEOUT_MS = 30_000;
const PYTHON_PROBE = 'import numpy, pandas, matplotlib, scipy, sklearn, openpyxl, docx, reportlab, PIL\nprint("ok")';

async function attempt(name: string, run: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.split('\n')[0]! };
  }
}

async function checkDatabase(config: Config): Promise<string> {
  prepareDataDir(config.dataDir);
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    let pending: string[];
    try {
      await store.ping();
      pending = await store.pendingMigrations();
    } catch (err) {
      throw explainDatabaseError(err, config.databaseUrl, config.dataDir);
    }
    if (pending.length > 0) throw new Error(`${describeDatabase(config)}: ${pending.length} migration(s) pending: run assistd migrate (or start the server)`);
    return `${describeDatabase(config)}, migrations up to date`;
  } finally {
    await store.close().catch(() => {});
  }
}

async function checkSandbox(config: Config): Promise<string> {
  const sandbox = createSandbox({ poolSize: 0, callTimeoutMs: config.codeTimeoutSeconds * 1000 });
  try {
    const status = await sandbox.warmUp();
    if (!status.available) throw new Error(status.reason ?? 'unavailable');
    const result = await sandbox.execute({ sessionKey: 'assistd-doctor', code: PYTHON_PROBE });
    if (result.error) throw new Error(`Python libraries: ${result.error.name}: ${result.error.message} (run npm run setup as root, see docs/sandbox.md)`);
    return 'bubblewrap and the Python libraries work';
  } finally {
    await sandbox.close();
  }
}

/** The model names to call: named `models:` entries (a wildcard has no name to call) and the ones asked for. */
function modelNames(config: Config, extra: string[]): string[] {
  return [...new Set([...config.models.map((route) => String(route.name)).filter((name) => !name.includes('*')), ...extra])];
}

/** Clients never see where a model's upstream is; the operator running doctor does. */
function withUpstream(err: unknown): unknown {
  if (!(err instanceof ProviderError) || !err.upstream) return err;
  return new Error(err.message.replace(/the upstream of model "[^"]*"/, err.upstream));
}

/** Runs every check, calling each named model and `models` too; the caller prints them. */
export async function runDoctor(config: Config, models: string[] = []): Promise<Check[]> {
  const checks = [await attempt('database', () => checkDatabase(config))];
  checks.push(await attempt('sandbox', () => checkSandbox(config)));
  const providers = providersConfig(config);
  const registry = createModelRegistry(providers, { scriptSource: { get: async () => undefined } });
  const { unknownModels } = describeProviders(providers);
  checks.push({ name: 'models', ok: true, detail: `names without a models: entry ${unknownModels}` });
  for (const name of modelNames(config, models)) {
    checks.push(await attempt(`model ${name}`, async () => {
      const request = { model: name, messages: [{ role: 'user' as const, content: 'Reply with the word ok.' }], max_tokens: 5 };
      try {
        const reply = await collectChat(registry.resolve(name).stream(request, AbortSignal.timeout(CALL_TIMEOUT_MS)));
        return `answered (${reply.usage.total_tokens} tokens)`;
      } catch (err) {
        throw withUpstream(err);
      }
    }));
  }
  const embedding = registry.embeddingModel();
  if (!embedding) checks.push({ name: 'embeddings', ok: true, detail: 'none configured: file_search is lexical only' });
  else checks.push(await attempt(`embeddings ${embedding.name}`, async () => `answered (${(await embedding.embed(['ping'], AbortSignal.timeout(CALL_TIMEOUT_MS)))[0]!.length} dimensions)`));
  return checks;
}
