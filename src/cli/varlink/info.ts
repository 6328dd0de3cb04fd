import { parseArgs } from 'node:util';
import { parseVerbArgs, type CliIo } from '../verb.js';
import { parseAddressArg, withClient } from './connect-client.js';
import { ExitCode } from '../exit-codes.js';
import { formatJsonOutput } from './json-output.js';
import { reportFailure } from './report-failure.js';
import { parseJsonMode, takePositionals } from './verb-args.js';
import { parseTimeoutArg } from '../timeout-arg.js';

/** `varlink info ADDRESS`: org.varlink.service.GetInfo as JSON on stdout. */
export async function runInfo(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { json: { type: 'string' }, timeout: { type: 'string' } } }),
  );
  const [addressText] = takePositionals(positionals, ['ADDRESS']);
  const address = parseAddressArg(addressText!);
  const json = parseJsonMode(values.json);
  return withClient(
    address,
    { timeoutMs: parseTimeoutArg(values.timeout) },
    async (client, signal) => {
      const { parameters } = await client.call('org.varlink.service.GetInfo', {}, signal ? { signal } : {});
      io.stdout.write(formatJsonOutput(parameters, json));
      return ExitCode.Ok;
    },
    (error) => reportFailure(error, io, 'info', json),
  );
}
