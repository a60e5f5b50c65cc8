// Bundles the compiled CLI into one CommonJS file (dist/conntrack.cjs) for a fast start: -C must stay close to
// a bare `node -e 0`, and one CommonJS file loads much faster than a few dozen ES modules (measured: ~77 ms
// against ~83 ms for an ES module bundle, node -e 0 being ~60 ms). esbuild is the bundler tsx is built on.
// The threaded dump's receiver is bundled next to it as dist/dump-worker.js; the native netlink addon stays
// external.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['netlink', 'netlink/*'],
  logLevel: 'warning',
  legalComments: 'none',
};

await build({ ...common, format: 'esm', entryPoints: ['dist/netlink/socket/dump-worker.js'], outfile: 'dist/dump-worker.js' });
// the event socket's receiver process (see src/commands/events.ts)
await build({ ...common, format: 'esm', entryPoints: ['dist/netlink/socket/event-receiver.js'], outfile: 'dist/event-receiver.js' });
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['dist/cli/bin.js'],
  outfile: 'dist/conntrack.cjs',
  // the sources are ES modules: import.meta.url becomes the bundle's own file URL
  define: { 'import.meta.url': '__ctImportMetaUrl' },
  banner: { js: "const __ctImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// V8's code cache for the bundle, made after a warm-up run of the parser (no I/O) so that the functions a
// start needs are in it; bin/conntrack hands it to vm.Script.
{
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { Script } = await import('node:vm');
  const {
    createRequire,
    default: { wrap },
  } = await import('node:module');
  const { resolve, dirname } = await import('node:path');
  const file = resolve('dist/conntrack.cjs');
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
  mod.exports.warmUp();
  writeFileSync(file + '.cache', script.createCachedData());
}
