import { parseVarlinkAddress } from '../../varlink/address.js';
import { VarlinkClient } from '../../varlink/varlink-client.js';
import { CaseFailure, CaseSkip, type CaseResult } from '../live/live-case.js';
import { RawVarlinkConnection } from './raw-varlink-connection.js';
import type { VarlinkCaseContext } from './varlink-case.js';
import { varlinkCases } from './varlink-cases.js';

/** Options of {@link runVarlinkSuite}. */
export interface VarlinkSuiteOptions {
  /** The service: `unix:`, `tcp:` or `exec:` (each connection then starts its own service process). */
  readonly address: string;
  /** Wait per expected reply (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Run only cases whose name contains one of these. */
  readonly only?: readonly string[];
  /** Report these cases (exact names) as SKIP: known deviations the caller accepts. */
  readonly skip?: readonly string[];
  readonly onResult?: (result: CaseResult) => void;
}

/** How long a service may take to close a connection it must close. */
const CLOSE_TIMEOUT_MS = 1000;

/**
 * Runs the Varlink cases against a service, each on fresh connections, one after the other.
 * @throws VarlinkAddressError for an unparseable address.
 */
export async function runVarlinkSuite(options: VarlinkSuiteOptions): Promise<CaseResult[]> {
  const address = parseVarlinkAddress(options.address);
  const timeoutMs = options.timeoutMs ?? 5000;
  let interfaces: Promise<readonly string[]> | undefined;
  const results: CaseResult[] = [];
  const report = (result: CaseResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const c of varlinkCases) {
    if (options.only !== undefined && !options.only.some((o) => c.name.includes(o))) continue;
    if (options.skip?.includes(c.name) === true) {
      report({ name: c.name, status: 'skip', reason: 'skipped by --skip' });
      continue;
    }
    const opened: { destroy(): void }[] = [];
    const ctx: VarlinkCaseContext = {
      address,
      timeoutMs,
      closeTimeoutMs: Math.min(timeoutMs, CLOSE_TIMEOUT_MS),
      async open() {
        const conn = await RawVarlinkConnection.open(address, AbortSignal.timeout(timeoutMs));
        opened.push(conn);
        return conn;
      },
      async client() {
        const client = await VarlinkClient.connect(address, { signal: AbortSignal.timeout(timeoutMs) });
        opened.push(client);
        return client;
      },
      interfaces() {
        interfaces ??= (async () => {
          const client = await VarlinkClient.connect(address, { signal: AbortSignal.timeout(timeoutMs) });
          try {
            const names = (await client.call('org.varlink.service.GetInfo', {}, { timeoutMs })).parameters['interfaces'];
            if (!Array.isArray(names)) throw new CaseFailure('GetInfo reply has no interfaces');
            return names.filter((n): n is string => typeof n === 'string');
          } finally {
            client.destroy();
          }
        })();
        // A failed GetInfo fails every case that needs it, each with the same reason.
        return interfaces;
      },
    };
    try {
      await c.run(ctx);
      report({ name: c.name, status: 'pass' });
    } catch (error) {
      if (error instanceof CaseSkip) report({ name: c.name, status: 'skip', reason: error.message });
      else if (error instanceof CaseFailure) report({ name: c.name, status: 'fail', reason: error.message });
      else report({ name: c.name, status: 'fail', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    } finally {
      for (const o of opened) o.destroy();
    }
  }
  return results;
}
