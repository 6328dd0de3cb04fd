import type { Fd } from '../../transport/fd.js';
import type { RawConnection } from './raw-connection.js';

/** A case found the implementation under test at fault; the message is the reason printed after FAIL. */
export class CaseFailure extends Error {
  override readonly name = 'CaseFailure';
  readonly code = 'ERR_CONFORMANCE_FAIL';
}

/** A case could not apply (an optional method is missing, no pid to inspect); printed after SKIP. */
export class CaseSkip extends Error {
  override readonly name = 'CaseSkip';
  readonly code = 'ERR_CONFORMANCE_SKIP';
}

/** What a live case gets; everything opened through it is closed once the case ends. */
export interface CaseContext {
  /** The server's socket path. */
  readonly socketPath: string;
  /** How long to wait for one expected reply (or for the server to close a connection). */
  readonly timeoutMs: number;
  /** A new connection to the server. */
  open(): Promise<RawConnection>;
  /** A read-only fd on an (already unlinked) temporary file holding `text`. */
  textFd(text: string): Fd;
  /** A read-only fd on /dev/null, for cases that only need many fds. */
  nullFd(): Fd;
}

/** One named live check; it passes by returning, fails by throwing {@link CaseFailure}. */
export interface LiveCase {
  readonly name: string;
  run(ctx: CaseContext): Promise<void>;
}

/** The outcome of one case, as printed. */
export type CaseResult =
  | { readonly name: string; readonly status: 'pass' }
  | { readonly name: string; readonly status: 'fail' | 'skip'; readonly reason: string };

/** The line printed for a result: `PASS name`, `FAIL name: reason` or `SKIP name: reason`. */
export function formatResult(result: CaseResult): string {
  return result.status === 'pass'
    ? `PASS ${result.name}`
    : `${result.status.toUpperCase()} ${result.name}: ${result.reason}`;
}

/** The summary line: `N passed, N failed, N skipped`. */
export function formatSummary(results: readonly CaseResult[]): string {
  const count = (status: CaseResult['status']): number => results.filter((r) => r.status === status).length;
  return `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
}
