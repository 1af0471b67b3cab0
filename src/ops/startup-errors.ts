import { ConfigError } from '../config.js';

/** Where a database URL points, for messages: host, port and database, never the user's password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}/${db}`;
  } catch {
    return 'the DATABASE_URL (not a valid URL)';
  }
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; errors?: Array<{ code?: string }> };
  return e?.code ?? e?.errors?.[0]?.code;
}

/** Postgres error codes (SQLSTATE) and socket errors an operator fixes in DATABASE_URL or on the server. */
const POSTGRES_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is Postgres running and listening on that host and port?',
  ENOTFOUND: 'host not found: check the host name in DATABASE_URL',
  EAI_AGAIN: 'host name lookup failed: check the host name in DATABASE_URL and DNS',
  ETIMEDOUT: 'connection timed out: check the host, port and firewall',
  EHOSTUNREACH: 'host unreachable: check the host and network',
  '28P01': 'password authentication failed: check the user and password in DATABASE_URL',
  '28000': 'the server refused this user or host (pg_hba.conf): allow it, or use another user',
  '3D000': 'the database does not exist: create it (createdb) or fix its name in DATABASE_URL',
  '42501': 'permission denied: grant the role rights on the database (see docs/deploy.md)',
  '53300': 'too many connections: raise max_connections or lower the number of replicas',
  '57P03': 'the server is starting up or shutting down: try again shortly',
};

/** Opening or migrating the database failed: one line naming the host and database and what to check. */
export function explainDatabaseError(err: unknown, databaseUrl: string | undefined, dataDir: string): Error {
  if (err instanceof ConfigError) return err;
  const code = errorCode(err);
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    const cause = (code && POSTGRES_CAUSES[code]) ?? (err as Error).message;
    return new ConfigError(`cannot use Postgres at ${describeDatabaseUrl(databaseUrl)}: ${cause}`, { cause: err });
  }
  const where = databaseUrl ?? `${dataDir}/assistd.sqlite`;
  return new ConfigError(`cannot open the SQLite database ${where}: ${(err as Error).message} (check the data directory, ASSISTD_DATA_DIR or --data-dir)`, { cause: err });
}

/** Listening failed: the port is taken or needs privileges. */
export function explainListenError(err: unknown, host: string, port: number): Error {
  const code = errorCode(err);
  if (code === 'EADDRINUSE') return new ConfigError(`port ${port} on ${host} is already in use: stop the other process or choose another port with PORT or --port`, { cause: err });
  if (code === 'EACCES') return new ConfigError(`no permission to listen on port ${port}: use a port above 1023 with PORT or --port (and a reverse proxy for 80/443)`, { cause: err });
  if (code === 'EADDRNOTAVAIL') return new ConfigError(`cannot listen on ${host}: it is not an address of this machine; fix HOST or --host`, { cause: err });
  return err as Error;
}

/** A command-line parsing error from node:util parseArgs, as one line that says what to type. */
export function explainArgsError(err: unknown): Error {
  const code = errorCode(err);
  const message = (err as Error).message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return new ConfigError(`unknown option '${option}'; see assistd --help`, { cause: err });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(-[^' ]+)/.exec(message)?.[1] ?? message;
    return new ConfigError(`option ${option} needs a value (e.g. ${option} <value>); see assistd --help`, { cause: err });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new ConfigError(`${message}; see assistd --help`, { cause: err });
  return err as Error;
}
