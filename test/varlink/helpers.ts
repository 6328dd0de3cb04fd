import { Fd } from '../../src/transport/fd.js';
import type { Transport } from '../../src/transport/transport.js';
import { memoryTransportPair, type MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { VarlinkClient, type VarlinkClientOptions } from '../../src/varlink/varlink-client.js';
import { VarlinkService, type VarlinkServeOptions } from '../../src/varlink/varlink-service.js';

export type PairKind = 'memory' | 'socketpair';

/** A connected transport pair of the given kind. */
export function transportPair(kind: PairKind, memory: MemoryTransportOptions = {}): [Transport, Transport] {
  return kind === 'memory' ? memoryTransportPair(memory) : socketPair();
}

/** A client connected to `service` over a fresh transport pair; `done` resolves when the service side ends. */
export function connectPair(
  service: VarlinkService,
  kind: PairKind,
  options: { client?: VarlinkClientOptions; serve?: VarlinkServeOptions; memory?: MemoryTransportOptions } = {},
): { client: VarlinkClient; done: Promise<void> } {
  const [a, b] = transportPair(kind, options.memory);
  const done = service.serve(b, options.serve);
  return { client: new VarlinkClient(a, options.client), done };
}

/** Raw access to the service side: write bytes (with fds) and collect what comes back. */
export function rawPeer(transport: Transport): {
  received(): Buffer;
  ended: Promise<void>;
  closed: Promise<void>;
  write(text: string, fds?: readonly Fd[]): Promise<void>;
  replies(): unknown[];
} {
  const chunks: Buffer[] = [];
  let resolveEnded!: () => void;
  let resolveClosed!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const closed = new Promise<void>((r) => (resolveClosed = r));
  transport.start({
    data: (bytes, fds) => {
      chunks.push(Buffer.from(bytes));
      Fd.closeAll(fds);
    },
    end: () => resolveEnded(),
    error: () => resolveEnded(),
    close: () => {
      resolveEnded();
      resolveClosed();
    },
  });
  const received = (): Buffer => Buffer.concat(chunks);
  return {
    received,
    ended,
    closed,
    write: (text, fds = []) => transport.write(Buffer.from(text), fds),
    replies: () =>
      received()
        .toString('utf8')
        .split('\0')
        .filter((s) => s.length > 0)
        .map((s) => JSON.parse(s) as unknown),
  };
}
