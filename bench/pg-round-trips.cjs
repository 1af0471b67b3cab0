// Preloaded into a benchmark's server (BENCH_SERVER_NODE_ARGS="--require ./bench/pg-round-trips.cjs"): counts what
// it sends to Postgres (round trips = socket writes of pg clients, as the driver waits for the answers to one
// write before the next; statements = Client.query calls, BEGINs and COMMITs among them) and notifications heard,
// and prints the totals to stderr when the server exits. Divide by the runs the benchmark made for per-run costs.
const { createRequire } = require('node:module');
const pg = createRequire(`${process.cwd()}/package.json`)('pg');

const counts = { roundTrips: 0, statements: 0, begins: 0, commits: 0, notifications: 0 };
// BENCH_PG_STATEMENTS=1 also prints how often each statement (its first 160 characters) was sent, most first.
const byText = process.env.BENCH_PG_STATEMENTS ? new Map() : undefined;
const counted = new WeakSet();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const socket = this.connection?.stream;
  if (socket && !counted.has(socket)) {
    counted.add(socket);
    for (const method of ['_write', '_writev']) {
      const write = socket[method];
      socket[method] = function (...args) {
        counts.roundTrips++;
        return write.apply(this, args);
      };
    }
    this.on('notification', () => counts.notifications++);
  }
  const text = typeof config === 'string' ? config : config?.text;
  // Split: the driver of earlier versions sent a transaction's statements joined with ";\n" in one query.
  for (const statement of typeof text === 'string' ? text.split(';\n') : []) {
    counts.statements++;
    if (byText) byText.set(statement.slice(0, 160), (byText.get(statement.slice(0, 160)) ?? 0) + 1);
    if (/^begin\b/i.test(statement)) counts.begins++;
    if (/^commit$/i.test(statement)) counts.commits++;
  }
  return query.call(this, config, ...rest);
};
process.on('exit', () => {
  process.stderr.write(`postgres ${JSON.stringify(counts)}\n`);
  if (byText) for (const [text, n] of [...byText].sort((a, b) => b[1] - a[1])) process.stderr.write(`${String(n).padStart(8)}  ${text}\n`);
});
