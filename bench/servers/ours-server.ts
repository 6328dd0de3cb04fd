/** Child-process server for the two-process cases of our stack: `ours-server.ts PATH`. */
import { serveOurs } from '../cases/ours-jsonrpc.js';
import { exitWithParent } from '../child-server.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: ours-server.ts PATH');
const server = await serveOurs(path);
exitWithParent(() => void server.close());
process.stdout.write('ready\n');
