import type { BenchClient } from '../bench-client.js';
import type { OursModules } from '../ours-modules.js';
import { BENCH_INTERFACE, benchService } from './varlink-bench-service.js';
import type { VarlinkModules } from './varlink-modules.js';

/**
 * Varlink round trips on our stack: `VarlinkClient.call('org.example.bench.Echo', {msg})` → NUL
 * framing → UnixSocket (NUL-bounded reads, since fds are enabled) → the service's IDL check → handler
 * → reply. Both ends in this process over `socketPair()`, like `oursInProcess` for JSON-RPC. A call's
 * fds are closed by the service once the handler settled.
 */
export function varlinkInProcess(ours: OursModules, vm: VarlinkModules): BenchClient {
  const [a, b] = ours.unixSocket.socketPair();
  const served = benchService(vm, []).serve(b, { fds: true });
  const client = new vm.client.VarlinkClient(a, { fds: true });
  const method = `${BENCH_INTERFACE}.Echo`;
  return {
    async call(params, fds = []) {
      const { parameters, fds: received } = await client.call(method, params as Record<string, unknown>, { fds });
      for (const fd of received) fd.close();
      return parameters;
    },
    async close() {
      await client.close();
      await served;
    },
  };
}
