// npm's prepare step (npm install of a git URL, of a checkout's folder, npm install -g ., npm ci here): builds
// dist/ when it is missing, so such an install has a library to import and a CLI that starts. A checkout's folder
// installed as it is has no devDependencies yet: they are installed into it first (npm ci, no scripts). When
// dist/ is there already it does nothing; `npm pack` and `npm publish` build afresh in prepack anyway.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// as a step of npm install -g, npm's own settings say "global": this checkout's own install is not
const env = { ...process.env };
delete env.npm_config_global;
delete env.npm_config_prefix;
delete env.npm_config_location;
const npm = (...args) => spawnSync('npm', args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
if (!existsSync(`${root}dist/index.js`) || !existsSync(`${root}dist/conntrack.cjs`)) {
  if (!existsSync(`${root}node_modules/typescript`)) {
    const status = npm('ci', '--ignore-scripts', '--no-audit', '--no-fund');
    if (status !== 0) process.exit(status);
  }
  process.exit(npm('run', 'build'));
}
