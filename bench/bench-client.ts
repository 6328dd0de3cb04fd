/**
 * What every implementation under test offers the workloads: one echo request at a time, optionally
 * carrying fds, resolved when the reply arrived. Ours, node `net` + JSON and usocket all adapt to it,
 * so that the same loops time all of them.
 */
export interface BenchClient {
  /** Sends an `echo` request with `params` (and `fds` attached) and resolves with the reply's result. */
  call(params: unknown, fds?: readonly number[]): Promise<unknown>;
  /** Closes the client and whatever in-process server it brought along. */
  close(): Promise<void>;
}
