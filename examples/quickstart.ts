// The README's example, runnable: `npx tsx examples/quickstart.ts [SOCKET]`.
import { openSync, readFileSync } from 'node:fs';
import { connectPeer, listenPeers, withFds } from 'jsonrpc-fdpass';

const path = process.argv[2] ?? '/tmp/quickstart.sock';
const server = await listenPeers(path, {
  handlers: {
    // Answer with an fd: the library sends it, then closes our copy.
    open: (params) => withFds(null, [openSync((params as { file: string }).file, 'r')]),
    // Read the fd that came with the request; fds a handler does not take() are closed after it.
    read: (_params, { fds }) => readFileSync(fds[0]!.value, 'utf8'),
  },
});
const peer = await connectPeer(path);
const { fds } = await peer.request('open', { file: '/etc/os-release' });
const { result } = await peer.request('read', {}, { fds }); // fds are borrowed until sent
console.log(String(result).split('\n')[0]);
fds[0]!.close(); // received fds are ours to close
await peer.close();
await server.close();
