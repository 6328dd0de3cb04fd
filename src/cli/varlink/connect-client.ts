import { parseVarlinkAddress, VarlinkAddressError, type VarlinkAddress } from '../../varlink/address.js';
import { VarlinkClient } from '../../varlink/varlink-client.js';
import { UsageError } from '../verb.js';

/** Parses ADDRESS; a bad one is a usage error. */
export function parseAddressArg(address: string): VarlinkAddress {
  try {
    return parseVarlinkAddress(address);
  } catch (error) {
    if (error instanceof VarlinkAddressError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Connects to a parsed address. Unix sockets (and `exec:`, a socketpair) always accept fds from the
 * service, so replies that carry fds can be shown; sending fds is enabled only when asked for.
 */
function connectClient(
  address: VarlinkAddress,
  options: { signal?: AbortSignal; sendFds?: boolean },
): Promise<VarlinkClient> {
  const unix = address.kind !== 'tcp';
  return VarlinkClient.connect(address, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(unix ? { fds: { receive: true, send: options.sendFds === true } } : {}),
  });
}

/**
 * Connects, runs `body` with the client and a signal that fires at the deadline (`timeoutMs` covers
 * connecting too), closes the client, and maps failures to exit codes through `onFailure`.
 */
export async function withClient(
  address: VarlinkAddress,
  options: { timeoutMs: number | undefined; sendFds?: boolean },
  body: (client: VarlinkClient, signal: AbortSignal | undefined) => Promise<number>,
  onFailure: (error: unknown) => number,
): Promise<number> {
  const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  let client: VarlinkClient | undefined;
  try {
    client = await connectClient(address, {
      ...(signal ? { signal } : {}),
      ...(options.sendFds !== undefined ? { sendFds: options.sendFds } : {}),
    });
    return await body(client, signal);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return onFailure(error);
  } finally {
    // Everything asked for has arrived (or failed): no need to wait for a graceful close.
    client?.destroy();
  }
}
