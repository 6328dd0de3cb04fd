/** Child-process server for the two-process `net` + JSON baseline: `net-json-server.ts PATH`. */
import { serveNetJson } from '../baselines/net-json.js';
import { exitWithParent } from '../child-server.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: net-json-server.ts PATH');
const server = await serveNetJson(path);
exitWithParent(() => server.close());
process.stdout.write('ready\n');
