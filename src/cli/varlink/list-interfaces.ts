import { parseArgs } from 'node:util';
import { parseVerbArgs, type CliIo } from '../verb.js';
import { parseAddressArg, withClient } from './connect-client.js';
import { ExitCode } from '../exit-codes.js';
import { serviceInterfaces } from './service-interfaces.js';
import { formatJsonOutput } from './json-output.js';
import { reportFailure } from './report-failure.js';
import { parseJsonMode, takePositionals } from './verb-args.js';
import { parseTimeoutArg } from '../timeout-arg.js';

/** `varlink list-interfaces ADDRESS`: one interface name per line, or a JSON array with --json. */
export async function runListInterfaces(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { json: { type: 'string' }, timeout: { type: 'string' } } }),
  );
  const [addressText] = takePositionals(positionals, ['ADDRESS']);
  const address = parseAddressArg(addressText!);
  const json = values.json === undefined ? undefined : parseJsonMode(values.json);
  return withClient(
    address,
    { timeoutMs: parseTimeoutArg(values.timeout) },
    async (client, signal) => {
      const names = await serviceInterfaces(client, signal);
      io.stdout.write(json === undefined ? names.map((n) => `${n}\n`).join('') : formatJsonOutput(names, json));
      return ExitCode.Ok;
    },
    (error) => reportFailure(error, io, 'list-interfaces', json ?? 'short'),
  );
}
