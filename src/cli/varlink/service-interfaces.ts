import type { VarlinkClient } from '../../varlink/varlink-client.js';
import { VarlinkProtocolError } from '../../varlink/varlink-protocol-error.js';

/** The interface names GetInfo reports. */
export async function serviceInterfaces(client: VarlinkClient, signal: AbortSignal | undefined): Promise<string[]> {
  const { parameters } = await client.call('org.varlink.service.GetInfo', {}, signal ? { signal } : {});
  const names = parameters['interfaces'];
  if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) {
    throw new VarlinkProtocolError('GetInfo reply has no "interfaces" array of strings');
  }
  return names;
}
