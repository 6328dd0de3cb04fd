/** Child-process server for the two-process cases of our stack: `ours-server.ts PATH`. */
import { serveOurs } from '../cases/ours-jsonrpc.js';
import { exitWithParent } from '../child-server.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: ours-server.ts PATH');
const listener = await serveOurs(path);
exitWithParent(() => void listener.close());
process.stdout.write('ready\n');
