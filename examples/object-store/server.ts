/**
 * The object store service: Varlink on a Unix socket, with an upgrade into jsonrpc-fdpass.
 *
 *   npx tsx examples/object-store/server.ts SOCKET [COUNT]
 *
 * Creates COUNT objects (default 2000) in a temp directory (printed as `objects in DIR`), prints
 * `listening on SOCKET` when ready, and on SIGTERM or SIGINT closes every connection, removes the
 * objects and exits 0.
 */
import { readFileSync } from 'node:fs';
import { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import { ErrorCodes } from '../../src/jsonrpc/error-codes.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { fdPassUpgrade } from '../../src/varlink/fdpass-upgrade-service.js';
import { VARLINK_MAX_FDS } from '../../src/varlink/varlink-connection.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { NoSuchObjectError, ObjectStore } from './object-store.js';

const INTERFACE = 'org.example.objectstore';
const IDL = readFileSync(new URL('./org.example.objectstore.varlink', import.meta.url), 'utf8');

const socket = process.argv[2];
if (socket === undefined) {
  console.error('usage: server.ts SOCKET [COUNT]');
  process.exit(2);
}
const count = Number(process.argv[3] ?? 2000);

const store = new ObjectStore(count);
/** Upgraded connections: the Varlink server does not track them any more, so we do. */
const peers = new Set<JsonRpcPeer>();

function openForVarlink(names: readonly string[]): ReturnType<ObjectStore['open']> {
  if (names.length > VARLINK_MAX_FDS) {
    throw new VarlinkError(`${INTERFACE}.TooManyObjects`, {
      requested: names.length,
      limit: VARLINK_MAX_FDS,
      upgrade: `${INTERFACE}.Upgrade`,
    });
  }
  try {
    return store.open(names);
  } catch (err) {
    if (err instanceof NoSuchObjectError) throw new VarlinkError(`${INTERFACE}.NoSuchObject`, { name: err.object });
    throw err;
  }
}

function openForJsonRpc(params: unknown): ReturnType<ObjectStore['open']> {
  const names = (params as { names?: unknown } | undefined)?.names;
  if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) {
    throw new JsonRpcError(ErrorCodes.InvalidParams, 'params must be {"names": [string, …]}');
  }
  try {
    return store.open(names);
  } catch (err) {
    if (err instanceof NoSuchObjectError) throw new JsonRpcError(1, 'no such object', { name: err.object });
    throw err;
  }
}

const service = new VarlinkService({
  vendor: 'jsonrpc-fdpass examples',
  product: 'object store',
  version: '1',
  url: 'https://github.com/bootc-dev/jsonrpc-fdpass',
}).addInterface(IDL, {
  ListObjects: () => ({ names: [...store.names] }),
  OpenObjects: (params) => {
    const fds = openForVarlink(params['names'] as string[]);
    // The library closes the fds once the reply carrying them was written.
    return withFds({ objects: fds.map((_, i) => i) }, fds);
  },
  Upgrade: fdPassUpgrade(() => (peer) => {
    peers.add(peer);
    peer.onClose(() => peers.delete(peer));
    peer.handle('openObjects', (params) => {
      const fds = openForJsonRpc(params);
      return withFds({ objects: fds.map((_, i) => i) }, fds);
    });
  }),
});

const address = socket.includes(':') ? socket : `unix:${socket}`;
const server = await service.listen(address, { fds: true });
console.log(`objects in ${store.dir}`);
console.log(`listening on ${socket}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await Promise.all([...peers].map((p) => p.close()));
  store[Symbol.dispose]();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
