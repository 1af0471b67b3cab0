// Preloaded into a benchmark's server (BENCH_SERVER_NODE_ARGS="--require ./bench/pg-round-trips.cjs"): counts what
// it sends to Postgres (round trips = pg Client.query calls; statements, BEGINs and COMMITs inside them) and
// prints the totals to stderr when the server exits. Divide by the runs the benchmark made for per-run costs.
const { createRequire } = require('node:module');
const pg = createRequire(`${process.cwd()}/package.json`)('pg');

const counts = { roundTrips: 0, statements: 0, begins: 0, commits: 0 };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string') {
    counts.roundTrips++;
    // The batching driver joins statements with ";\n" (postgres-batching.ts).
    for (const statement of text.split(';\n')) {
      counts.statements++;
      if (/^begin\b/i.test(statement)) counts.begins++;
      if (/^commit$/i.test(statement)) counts.commits++;
    }
  }
  return query.call(this, config, ...rest);
};
process.on('exit', () => process.stderr.write(`postgres ${JSON.stringify(counts)}\n`));
