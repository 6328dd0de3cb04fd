import { closeSync, openSync } from 'node:fs';
import { elapsedUs, nowNs } from '../measure.js';
import type { OursModules } from '../ours-modules.js';
import type { Round } from '../workloads.js';
import { BENCH_INTERFACE, benchService } from './varlink-bench-service.js';
import type { VarlinkModules } from './varlink-modules.js';

/** Fds moved per transfer: the object-store example's 2,000. */
export const VARLINK_MANY_FDS = 2000;

/** The two ways of moving {@link VARLINK_MANY_FDS} fds from a service to its client, side by side. */
export interface VarlinkManyFds {
  /** µs per transfer over Varlink: one `more` call, answered in frames of at most 253 fds. */
  readonly varlinkRound: Round;
  /** µs per transfer after an upgrade: one jsonrpc-fdpass request, answered by one message with every fd. */
  readonly upgradedRound: Round;
  close(): Promise<void>;
}

/**
 * Sets up both: a Varlink connection, and a second one upgraded into jsonrpc-fdpass (the upgrade is
 * not timed). The service sends the same pool of open `/dev/null` fds each time (borrowed); the client
 * closes what it receives. Every transfer checks the count it got, so a short delivery fails the round.
 */
export async function openVarlinkManyFds(ours: OursModules, vm: VarlinkModules, transfers: number, count = VARLINK_MANY_FDS): Promise<VarlinkManyFds> {
  const pool = Array.from({ length: count }, () => openSync('/dev/null', 'r'));
  const upgradedClosed: Promise<unknown>[] = [];
  const service = benchService(vm, pool, (closed) => upgradedClosed.push(closed));
  const connect = (): InstanceType<VarlinkModules['client']['VarlinkClient']> => {
    const [a, b] = ours.unixSocket.socketPair();
    void service.serve(b, { fds: true });
    return new vm.client.VarlinkClient(a, { fds: true });
  };
  const varlink = connect();
  const peer = await connect().upgradeToFdPass(`${BENCH_INTERFACE}.Upgrade`);

  const varlinkRound: Round = async () => {
    const start = nowNs();
    for (let i = 0; i < transfers; i++) {
      let got = 0;
      for await (const reply of varlink.stream(`${BENCH_INTERFACE}.Open`, { count })) {
        got += reply.fds.length;
        for (const fd of reply.fds) fd.close();
      }
      if (got !== count) throw new Error(`Varlink delivered ${got} of ${count} fds`);
    }
    return elapsedUs(start) / transfers;
  };
  const upgradedRound: Round = async () => {
    const start = nowNs();
    for (let i = 0; i < transfers; i++) {
      const { fds } = await peer.request('open', { count });
      for (const fd of fds) fd.close();
      if (fds.length !== count) throw new Error(`jsonrpc-fdpass delivered ${fds.length} of ${count} fds`);
    }
    return elapsedUs(start) / transfers;
  };
  return {
    varlinkRound,
    upgradedRound,
    async close() {
      await varlink.close();
      await peer.close();
      await service.closeConnections();
      // The service's side of the upgraded connection closes on EOF; wait so no fd outlives close().
      await Promise.all(upgradedClosed);
      for (const fd of pool) closeSync(fd);
    },
  };
}
