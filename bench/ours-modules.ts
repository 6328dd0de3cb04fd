import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Where the bench loads our library from. `dist`: compiled by tsc into bench/.build/dist/ at run time,
 * which is the code users run. `source`: src/ as tsx transpiles it, quicker to start but slower to run:
 * tsx always compiles with esbuild's keepNames, which adds a `__name()` call for every named closure
 * our hot paths create.
 */
export type OursFrom = 'dist' | 'source';

/** The parts of our library the cases use, loaded from one place so that classes match. */
export interface OursModules {
  readonly from: OursFrom;
  readonly peer: typeof import('../src/jsonrpc/peer.js');
  readonly server: typeof import('../src/jsonrpc/server.js');
  readonly connectPeer: typeof import('../src/jsonrpc/connect-peer.js');
  readonly unixSocket: typeof import('../src/transport/unix-socket.js');
  readonly fd: typeof import('../src/transport/fd.js');
}

const root = fileURLToPath(new URL('../', import.meta.url));
const buildDir = fileURLToPath(new URL('./.build/', import.meta.url));
const distDir = `${buildDir}dist/`;

/**
 * Compiles src/ with the project's build config into bench/.build/dist/. The addon is loaded relative
 * to the compiled module (`../../build/Release/…`), so bench/.build/build links to the repo's build/.
 */
export async function compileOurs(): Promise<void> {
  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  rmSync(`${buildDir}build`, { force: true });
  symlinkSync('../../build', `${buildDir}build`);
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const args = [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', distDir, '--declaration', 'false', '--sourceMap', 'false'];
  // Type errors in work in progress elsewhere do not stop tsc from emitting; the bench only needs the JS.
  await promisify(execFile)(process.execPath, args).catch((err: { stdout?: string }) => {
    if (!String(err.stdout ?? '').includes('error TS')) throw err;
  });
}

/** Loads our modules from `from` (call {@link compileOurs} first for `dist`). */
export async function loadOurs(from: OursFrom): Promise<OursModules> {
  const base = from === 'dist' ? pathToFileURL(distDir).href : new URL('../src/', import.meta.url).href;
  const load = (path: string): Promise<unknown> => import(`${base}${path}`);
  return {
    from,
    peer: (await load('jsonrpc/peer.js')) as OursModules['peer'],
    server: (await load('jsonrpc/server.js')) as OursModules['server'],
    connectPeer: (await load('jsonrpc/connect-peer.js')) as OursModules['connectPeer'],
    unixSocket: (await load('transport/unix-socket.js')) as OursModules['unixSocket'],
    fd: (await load('transport/fd.js')) as OursModules['fd'],
  };
}
