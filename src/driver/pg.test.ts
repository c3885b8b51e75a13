import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const wrapper = fileURLToPath(new URL('./pg.js', import.meta.url));
/** The `pg` that pgsurge itself resolves. */
const plainPg = createRequire(import.meta.url).resolve('pg');

/** What a fresh Node.js process sees after loading `pg` one way, in its main thread and in a worker thread. */
function loadIn(how: 'wrapper' | 'plain'): { main: Seen; worker: Seen } {
  const load = how === 'wrapper' ? `(await import(${JSON.stringify(pathToFileURL(wrapper).href)})).default` : `require(${JSON.stringify(plainPg)})`;
  const seen = `const pg = ${load}; const seen = { fetchLoaded: process.moduleLoadList.some((m) => m.includes('undici')), navigator: 'navigator' in globalThis, client: typeof pg.Client };`;
  const inWorker = `(async () => { ${seen} require('node:worker_threads').parentPort.postMessage(seen); })();`;
  const script = `(async () => {
    ${seen}
    const w = new (require('node:worker_threads').Worker)(${JSON.stringify(inWorker)}, { eval: true });
    w.once('message', (worker) => { console.log(JSON.stringify({ main: seen, worker })); w.terminate(); });
  })();`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out) as { main: Seen; worker: Seen };
}
interface Seen {
  fetchLoaded: boolean;
  navigator: boolean;
  client: string;
}

test("pgsurge's pg loads without Node's fetch implementation, in the main thread and in worker threads, and leaves no navigator behind", () => {
  const { main, worker } = loadIn('wrapper');
  const nodeHasNavigator = Number(process.versions.node.split('.')[0]) >= 21;
  for (const seen of [main, worker]) {
    assert.equal(seen.client, 'function');
    assert.equal(seen.fetchLoaded, false);
    assert.equal(seen.navigator, nodeHasNavigator);
  }
});

test('the plain pg import loads the fetch implementation where Node has no navigator (what the wrapper avoids)', (t) => {
  if (Number(process.versions.node.split('.')[0]) >= 21) return t.skip('Node 21 and later have a navigator: pg never builds a Response there');
  const { main, worker } = loadIn('plain');
  assert.equal(main.fetchLoaded, true);
  assert.equal(worker.fetchLoaded, true);
});
