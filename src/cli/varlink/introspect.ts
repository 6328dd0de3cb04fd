import { parseArgs } from 'node:util';
import type { VarlinkClient } from '../../varlink/varlink-client.js';
import { VarlinkProtocolError } from '../../varlink/varlink-protocol-error.js';
import { parseVerbArgs, type CliIo } from '../verb.js';
import { parseAddressArg, withClient } from './connect-client.js';
import { ExitCode } from '../exit-codes.js';
import { reportFailure } from './report-failure.js';
import { serviceInterfaces } from './service-interfaces.js';
import { takePositionals } from './verb-args.js';
import { parseTimeoutArg } from '../timeout-arg.js';

async function description(client: VarlinkClient, name: string, signal: AbortSignal | undefined): Promise<string> {
  const { parameters } = await client.call(
    'org.varlink.service.GetInterfaceDescription',
    { interface: name },
    signal ? { signal } : {},
  );
  const text = parameters['description'];
  if (typeof text !== 'string') throw new VarlinkProtocolError(`description of ${name} is not a string`);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * `varlink introspect ADDRESS [INTERFACE…]`: the IDL text of the named interfaces (all of them, as
 * GetInfo lists them, when none is named), as the service wrote it, separated by blank lines.
 */
export async function runIntrospect(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { timeout: { type: 'string' } } }),
  );
  const [addressText, ...named] = takePositionals(positionals, ['ADDRESS'], Number.MAX_SAFE_INTEGER);
  const address = parseAddressArg(addressText!);
  return withClient(
    address,
    { timeoutMs: parseTimeoutArg(values.timeout) },
    async (client, signal) => {
      const names = named.length > 0 ? named : await serviceInterfaces(client, signal);
      // Pipelined: every call is written at once, replies come back in order.
      const texts = await Promise.all(names.map((name) => description(client, name, signal)));
      io.stdout.write(texts.join('\n'));
      return ExitCode.Ok;
    },
    (error) => reportFailure(error, io, 'introspect', 'short'),
  );
}
