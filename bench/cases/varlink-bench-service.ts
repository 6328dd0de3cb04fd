import type { VarlinkModules } from './varlink-modules.js';

/** The interface the Varlink cases serve. */
export const BENCH_INTERFACE = 'org.example.bench';

const IDL = `interface ${BENCH_INTERFACE}

# Returns its argument; fds sent with the call are closed by the library.
method Echo(msg: string) -> (msg: string)

# Sends count fds, at most 253 per reply (one Varlink message carries no more).
# [Requires 'more' flag]
method Open(count: int) -> (fds: []int)

# Switches to jsonrpc-fdpass, where open({count}) sends every fd in one message.
# [Requires 'upgrade' flag]
method Upgrade(codecs: ?[]string) -> (protocol: string, codec: string)
`;

/** The most fds one Varlink reply carries. */
const FRAME = 253;

/**
 * A service whose Open sends (borrowed) fds from `pool`: the same descriptors every time, as a service
 * handing out already open files would, so no open(2) cost is timed. A jsonrpc-fdpass `open` after
 * Upgrade sends the same count in one message; `onPeer` learns when each upgraded connection closed.
 */
export function benchService(
  vm: VarlinkModules,
  pool: readonly number[],
  onPeer: (closed: Promise<unknown>) => void = () => undefined,
): InstanceType<VarlinkModules['service']['VarlinkService']> {
  const { withFds } = vm.withFds;
  const take = (count: number): number[] => {
    if (count > pool.length) throw new Error(`the pool holds ${pool.length} fds, ${count} were asked for`);
    return pool.slice(0, count);
  };
  return new vm.service.VarlinkService({ vendor: 'bench', product: 'bench', version: '1', url: 'bench' }).addInterface(IDL, {
    Echo: (params) => ({ msg: params['msg'] }),
    Open: async function* (params) {
      const fds = take(Number(params['count']));
      for (let at = 0; ; at += FRAME) {
        const frame = fds.slice(at, at + FRAME);
        const reply = withFds({ fds: frame.map((_, i) => i) }, frame, { close: false });
        if (at + FRAME >= fds.length) return reply;
        yield reply;
      }
    },
    Upgrade: vm.upgrade.fdPassUpgrade(() => (peer) => {
      onPeer(peer.whenClosed);
      peer.handle('open', (params) => {
        const count = (params as { count: number }).count;
        return withFds(count, take(count), { close: false });
      });
    }),
  });
}
