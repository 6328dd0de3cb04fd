/** Child-process server for the two-process cases of our stack: `ours-server.ts PATH dist|source`. */
import { serveOurs } from '../cases/ours-jsonrpc.js';
import { exitWithParent } from '../child-server.js';
import { loadOurs } from '../ours-modules.js';

const [path, from] = process.argv.slice(2);
if (path === undefined || (from !== 'dist' && from !== 'source')) {
  throw new Error('usage: ours-server.ts PATH dist|source');
}
const server = await serveOurs(await loadOurs(from), path);
exitWithParent(() => void server.close());
process.stdout.write('ready\n');
