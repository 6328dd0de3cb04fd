import { join } from 'node:path';
import { Fd } from '../../transport/fd.js';
import { describeFd, formatFdLine, isSavable, saveFdContent } from '../fd-report.js';
import type { CliIo } from '../verb.js';
import { transferProgress } from '../transfer-progress.js';

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
        const path = join(options.saveDir, name);
        const progress = transferProgress(io.stderr, `saving ${name}`);
        try {
          await saveFdContent(fd.value, info.type, path, {
            onBytes: (n) => progress.add(n),
            ...(options.signal ? { signal: options.signal } : {}),
          });
        } finally {
          progress.done();
        }
        info.saved = path;
      }
      io.stderr.write(`${formatFdLine(info, reply === undefined ? '' : `reply ${reply} `)}\n`);
    }
  } finally {
    Fd.closeAll(fds);
  }
}
