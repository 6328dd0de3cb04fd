import { Fd } from '../../transport/fd.js';
import { describeFd, formatFdLine, isSavable, saveReceivedFd } from '../fd-report.js';
import type { CliIo } from '../verb.js';

/** Where and how received fds are reported. */
export interface FdReportOptions {
  /** --save-fds: a directory for the content of readable files and pipes. */
  readonly saveDir: string | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Describes each fd of one reply on stderr (`fd INDEX: TYPE TARGET`), saves readable ones to
 * `saveDir/NAME` where NAME is `fd-INDEX` (or `reply-R-fd-INDEX` for `more` replies), and closes them
 * all, whatever happens.
 */
export async function reportReceivedFds(
  fds: readonly Fd[],
  io: CliIo,
  options: FdReportOptions,
  reply?: number,
): Promise<void> {
  try {
    for (const [index, fd] of fds.entries()) {
      const info = describeFd(index, fd.value);
      if (options.saveDir !== undefined && isSavable(info)) {
        const name = reply === undefined ? `fd-${index}` : `reply-${reply}-fd-${index}`;
        await saveReceivedFd(fd, info, options.saveDir, name, io.stderr, options.signal);
      }
      io.stderr.write(`${formatFdLine(info, reply === undefined ? '' : `reply ${reply} `)}\n`);
    }
  } finally {
    Fd.closeAll(fds);
  }
}
