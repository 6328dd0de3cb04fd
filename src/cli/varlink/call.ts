import { parseArgs } from 'node:util';
import { Fd } from '../../transport/fd.js';
import { parseVarlinkJson, VarlinkJsonError } from '../../varlink/idl/varlink-json.js';
import { splitQualifiedName } from '../../varlink/idl/varlink-names.js';
import type { VarlinkParameters } from '../../varlink/varlink-message.js';
import { parseVerbArgs, UsageError, type CliIo } from '../verb.js';
import { parseAddressArg, withClient } from './connect-client.js';
import { ExitCode } from '../exit-codes.js';
import { formatJsonOutput } from './json-output.js';
import { makeSaveDir } from '../fd-report.js';
import { openFdArgs } from '../open-fd-args.js';
import { reportReceivedFds, type FdReportOptions } from './received-fds.js';
import { reportFailure } from './report-failure.js';
import { discardUpgraded, proxyUpgraded } from './upgrade-proxy.js';
import { parseJsonMode, takePositionals } from './verb-args.js';
import { parseTimeoutArg } from '../timeout-arg.js';

/** The streams of `varlink call`: stdin is only read by --upgrade. */
export interface CallIo extends CliIo {
  readonly stdin?: NodeJS.ReadableStream;
}

type Flag = 'more' | 'oneway' | 'upgrade';

function parseParams(text: string | undefined): VarlinkParameters {
  if (text === undefined) return {};
  let value: unknown;
  try {
    // Lossless: Varlink ints are 64-bit.
    value = parseVarlinkJson(text);
  } catch (error) {
    if (error instanceof VarlinkJsonError) throw new UsageError(`PARAMS_JSON is not JSON: ${error.message}`);
    throw error;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('PARAMS_JSON must be a JSON object');
  }
  return value as VarlinkParameters;
}

/** `varlink call ADDRESS METHOD [PARAMS_JSON]`. */
export async function runCall(args: readonly string[], io: CallIo): Promise<number> {
  const { values, positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: {
    more: { type: 'boolean' },
    oneway: { type: 'boolean' },
    upgrade: { type: 'boolean' },
    'push-fd': { type: 'string', multiple: true },
    json: { type: 'string' },
    timeout: { type: 'string' },
    'save-fds': { type: 'string' },
  } }),
  );
  const [addressText, method, paramsText] = takePositionals(positionals, ['ADDRESS', 'METHOD'], 1);
  const address = parseAddressArg(addressText!);
  if (splitQualifiedName(method!) === undefined) {
    throw new UsageError(`METHOD must be a qualified method name like org.example.Interface.Method, not ${JSON.stringify(method)}`);
  }
  const params = parseParams(paramsText);
  const flags = (['more', 'oneway', 'upgrade'] as const).filter((f) => values[f] === true);
  if (flags.length > 1) throw new UsageError(`--${flags[0]} and --${flags[1]} exclude each other`);
  const flag: Flag | undefined = flags[0];
  const json = parseJsonMode(values.json);
  const timeoutMs = parseTimeoutArg(values.timeout);
  const saveDir = values['save-fds'];
  if (flag === 'oneway' && saveDir !== undefined) throw new UsageError('--oneway gets no reply: --save-fds does not apply');
  const pushArgs = values['push-fd'] ?? [];
  if (pushArgs.length > 0 && address.kind === 'tcp') throw new UsageError('--push-fd needs a unix: or exec: address');

  const owned: Fd[] = [];
  try {
    const fds = openFdArgs('--push-fd', pushArgs, owned);
    if (saveDir !== undefined) makeSaveDir('--save-fds', saveDir);
    return await withClient(
      address,
      { timeoutMs, sendFds: fds.length > 0 },
      async (client, signal) => {
        const callOptions = { fds, ...(signal ? { signal } : {}) };
        const fdOptions: FdReportOptions = { saveDir, signal };
        switch (flag) {
          case undefined: {
            const reply = await client.call(method!, params, callOptions);
            io.stdout.write(formatJsonOutput(reply.parameters, json));
            await reportReceivedFds(reply.fds, io, fdOptions);
            return ExitCode.Ok;
          }
          case 'oneway':
            // Written is all there is: the service sends nothing back.
            await client.send(method!, params, callOptions);
            return ExitCode.Ok;
          case 'more': {
            let index = 0;
            for await (const reply of client.stream(method!, params, callOptions)) {
              io.stdout.write(formatJsonOutput(reply.parameters, json));
              await reportReceivedFds(reply.fds, io, fdOptions, index++);
            }
            return ExitCode.Ok;
          }
          case 'upgrade': {
            const upgraded = await client.upgrade(method!, params, callOptions);
            // stdout carries the new protocol from here on, so the confirming reply goes to stderr.
            io.stderr.write(formatJsonOutput(upgraded.parameters, json === 'seq' ? 'short' : json));
            try {
              await reportReceivedFds(upgraded.fds, io, { saveDir, signal: undefined });
            } catch (error) {
              // The connection is no longer the client's (destroying it leaves this one open): close it here.
              discardUpgraded(upgraded);
              throw error;
            }
            return proxyUpgraded(upgraded, { input: io.stdin ?? process.stdin, output: io.stdout, stderr: io.stderr });
          }
        }
      },
      (error) => reportFailure(error, io, 'call', json),
    );
  } finally {
    Fd.closeAll(owned);
  }
}
