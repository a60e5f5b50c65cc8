// Bundles the compiled CLI into one CommonJS file (dist/conntrack.cjs) for a fast start: -C must stay close to
// a bare `node -e 0`, and one CommonJS file loads much faster than a few dozen ES modules (measured: ~77 ms
// against ~83 ms for an ES module bundle, node -e 0 being ~60 ms). esbuild is the bundler tsx is built on.
// The threaded dump's receiver is bundled next to it as dist/dump-worker.cjs; the native netlink addon stays
// external.
import { build } from 'esbuild';

// Built-in modules the bundle loads only when one of their members is first read. commander's command.js and the
// event stream require node:child_process at the top, and with it come net, dgram and the whole streams stack
// (~45 modules, several ms of every start), though only -E (the event receiver) and commander's executable
// subcommands (which conntrack has none of) ever spawn. The import is answered by an object with a getter for
// each of the module's exports (listed here, at build time) that requires the module on first use:
// `childProcess.spawn(...)` and `import { spawn }` (esbuild reads the member at the call) work unchanged.
// node:module likewise: its createRequire is called only to load koffi, the worker thread's module and the like,
// and loading it brings the ES module loader's modules along. node:v8 (and its heap snapshot streams) only for -E
// with a kernel-decided filter (cli/tiering.ts).
const LAZY_BUILTINS = ['child_process', 'module', 'v8'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      // the stand-in's own require is the real module
      args.namespace === 'lazy-builtin' ? undefined : { path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((k) => k !== 'default');
      const getters = names.map((k) => `${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] }`);
      return {
        loader: 'js',
        contents: `let m;\nconst load = () => (m ??= require(${JSON.stringify(args.path)}));\nmodule.exports = Object.defineProperties({}, {\n${getters.join(',\n')}\n});\n`,
      };
    });
  },
};

// The netlink addon's JavaScript (netlink/dist/raw.js and node-gyp-build, which finds the native file) goes into
// the CommonJS bundles, and so into the code cache, instead of being resolved, read and compiled at every start
// (about 1.5 ms). raw-socket.js's createRequire(import.meta.url)('netlink/dist/raw.js') becomes a require that
// esbuild bundles (still run on first use), and raw.js looks for its native file in the netlink package's own
// directory, found by a lookup from the bundle as before, where it used its own __dirname. The native file is
// loaded by node-gyp-build as before.
const ADDON_REQUIRE = "createRequire(import.meta.url)('netlink/dist/raw.js')";
const ADDON_DIR = "require('node-gyp-build')(__dirname + '/..')";
const replaceIn = (file, text, from, to) => {
  if (!text.includes(from)) throw new Error(`${file}: ${from} not found (scripts/build-cli.mjs bundles the netlink addon's JavaScript)`);
  return text.replace(from, to);
};
const bundledAddon = {
  name: 'bundled-addon',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]netlink[\\/]socket[\\/]raw-socket\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      return { loader: 'js', contents: replaceIn(args.path, text, ADDON_REQUIRE, "require('netlink/dist/raw.js')") };
    });
    b.onLoad({ filter: /[\\/]netlink[\\/]dist[\\/]raw\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      const dir = "require('node:path').dirname(require.resolve('netlink/package.json'))";
      return { loader: 'js', contents: replaceIn(args.path, text, ADDON_DIR, `require('node-gyp-build')(${dir})`) };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['netlink', 'netlink/*'],
  logLevel: 'warning',
  legalComments: 'none',
  // non-ASCII characters escaped (esbuild's default, spelled out): bin/conntrack reads the bundle as latin1
  charset: 'ascii',
  // a smaller file to read and a smaller code cache to load at every start (465 KB -> 289 KB): whitespace and
  // syntax only, names are kept (stack traces and class names read as in the sources)
  minifyWhitespace: true,
  minifySyntax: true,
};

// CommonJS bundles: the sources are ES modules, import.meta.url becomes the bundle's own file URL, made when first
// read (only a threaded dump, koffi and the event receiver need it: not -C, -G, -I or -F)
const cjs = {
  format: 'cjs',
  define: { 'import.meta.url': '__ctImportMeta.url' },
  // "use strict" first: the sources are ES modules (strict); esbuild's own directive comes after the banner, where
  // it is only a string
  banner: {
    js: "'use strict';const __ctImportMeta = { get url() { return (this.href ??= require('node:url').pathToFileURL(__filename).href); } };",
  },
};

// in the CommonJS bundles, only netlink's native file stays outside (see bundledAddon)
const cjsAddon = { ...cjs, external: ['netlink/package.json'] };

// The threaded dump's receiver as CommonJS, dist/dump-worker.cjs: a worker thread starts a CommonJS file some ms
// sooner than an ES module (no ES module loader to set up in the new thread). The CLI bundle's nfnl-socket.js names it
// (the library's dist/netlink/socket/nfnl-socket.js keeps its own dump-worker.js).
await build({
  ...common,
  ...cjsAddon,
  entryPoints: ['dist/netlink/socket/dump-worker.js'],
  outfile: 'dist/dump-worker.cjs',
  plugins: [bundledAddon],
});
const WORKER_URL = "new URL('./dump-worker.js', import.meta.url)";
const cjsWorker = {
  name: 'cjs-dump-worker',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]netlink[\\/]socket[\\/]nfnl-socket\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(WORKER_URL)) throw new Error(`${args.path}: ${WORKER_URL} not found (scripts/build-cli.mjs names the worker)`);
      return { loader: 'js', contents: text.replace(WORKER_URL, WORKER_URL.replace('dump-worker.js', 'dump-worker.cjs')) };
    });
  },
};
// the event socket's receiver process (see src/commands/events.ts)
await build({ ...common, format: 'esm', entryPoints: ['dist/netlink/socket/event-receiver.js'], outfile: 'dist/event-receiver.js' });
await build({
  ...common,
  ...cjsAddon,
  entryPoints: ['dist/cli/bin.js'],
  outfile: 'dist/conntrack.cjs',
  plugins: [lazyBuiltins, cjsWorker, bundledAddon],
});

// V8's code cache for the bundle, made after a warm-up (the parser, one -C, then -E on captured datagrams: see warmUp
// in src/cli/bin.ts) so that the functions a start needs are in it; bin/conntrack hands it to vm.Script.
{
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { Script } = await import('node:vm');
  const { createRequire } = await import('node:module');
  // the CommonJS wrapper, written out as bin/conntrack writes it (its source must be the same for V8 to take the cache)
  const wrap = (text) => `(function (exports, require, module, __filename, __dirname) { ${text}\n});`;
  const { resolve, dirname } = await import('node:path');
  const file = resolve('dist/conntrack.cjs');
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
  // conntrack messages as the kernel sends them (a dump's datagrams: an event carries the same attributes), for
  // the warm-up's -E; without the fixture the event path is left out of the cache
  const sample = 'fixtures/kernel/list-default.hex';
  let datagrams = [];
  try {
    datagrams = readFileSync(sample, 'latin1')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => Buffer.from(l, 'hex'));
  } catch {
    console.warn(`scripts/build-cli.mjs: ${sample} not found: the code cache leaves -E's event path out`);
  }
  await mod.exports.warmUp(datagrams);
  writeFileSync(file + '.cache', script.createCachedData());
}
