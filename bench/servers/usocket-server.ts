/** Child-process server for the two-process usocket baseline: `usocket-server.ts PATH`. */
import { serveUsocket } from '../baselines/usocket.js';
import { exitWithParent } from '../child-server.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: usocket-server.ts PATH');
const server = await serveUsocket(path);
exitWithParent(() => server.close());
process.stdout.write('ready\n');
