// Bundles the compiled CLI into one ES module (dist/conntrack.mjs): start-up time counts (-C must stay close to
// a bare `node -e 0`), and loading one file is much cheaper than resolving a few dozen. esbuild is the bundler
// tsx itself is built on; the native netlink addon stays external.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['netlink', 'netlink/*'],
  logLevel: 'warning',
  legalComments: 'none',
};
// the threaded dump's receiver, found next to the bundle as ./dump-worker.js
await build({ ...common, entryPoints: ['dist/netlink/dump-worker.js'], outfile: 'dist/dump-worker.js' });
await build({
  entryPoints: ['dist/cli/bin.js'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/conntrack.mjs',
  external: ['netlink', 'netlink/*'],
  logLevel: 'warning',
  legalComments: 'none',
  // CommonJS dependencies (commander) call require() for Node built-ins; give the ES module a real one
  banner: { js: "import { createRequire as __ctCreateRequire } from 'node:module'; const require = __ctCreateRequire(import.meta.url);" },
});
