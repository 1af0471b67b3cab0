import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI } from 'openai';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';

export interface TestServer extends RunningServer {
  config: Config;
  dataDir: string;
  /** An `openai` client pointed at this server. */
  openai(options?: { apiKey?: string; v1?: boolean }): OpenAI;
  /** An `AzureOpenAI` client pointed at this server, as the seed documents build it. */
  azure(options?: { apiKey?: string; apiVersion?: string }): AzureOpenAI;
  /** Stops the server but keeps its data directory (for restart tests). */
  stop(): Promise<void>;
}

/** Starts a real server on an ephemeral port with a temp data dir; `env` is the environment it sees. */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string, options: ServerOptions = {}): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'assistd-test-'));
  // No warm sandbox workers unless a test asks: every test server would otherwise start two Python processes.
  // No shutdown grace either: tests close servers with runs still waiting on a silent upstream.
  const defaults = { ASSISTD_CODE_POOL_SIZE: '0', ASSISTD_SHUTDOWN_GRACE_SECONDS: '0' };
  // A config file only when the test gives one (ASSISTD_CONFIG): never an assistd.yaml lying in the working directory.
  const config = loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir }, { ...defaults, ...env, ASSISTD_CONFIG: env.ASSISTD_CONFIG ?? '/dev/null' });
  const server = await startServer(config, undefined, options);
  return {
    ...server,
    config,
    dataDir: dir,
    openai: (options = {}) =>
      new OpenAI({
        baseURL: `${server.url}/v1`,
        apiKey: options.apiKey ?? env.ASSISTD_API_KEY ?? 'none',
        defaultHeaders: options.v1 ? { 'OpenAI-Beta': 'assistants=v1' } : undefined,
        maxRetries: 0,
      }),
    azure: (options = {}) =>
      new AzureOpenAI({
        endpoint: server.url,
        apiKey: options.apiKey ?? env.ASSISTD_API_KEY ?? 'none',
        apiVersion: options.apiVersion ?? '2024-05-01-preview',
        maxRetries: 0,
      }),
    stop: () => server.close(),
    async close() {
      await server.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
