/** Counts bytes of a long transfer and shows the count on a terminal. */
export interface TransferProgress {
  add(bytes: number): void;
  /** Clears the progress line (if one was shown). */
  done(): void;
}

/** Shown only after this long: short transfers print nothing. */
const SHOW_AFTER_MS = 1000;
const UPDATE_EVERY_MS = 250;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Progress for `label` on `stream`, only when it is a terminal (a `\r`-rewritten line); otherwise a
 * no-op, so scripts and logs never see it.
 */
export function transferProgress(stream: NodeJS.WritableStream, label: string): TransferProgress {
  if ((stream as { isTTY?: boolean }).isTTY !== true) return { add: () => undefined, done: () => undefined };
  const started = Date.now();
  let total = 0;
  let lastShown = 0;
  let shown = false;
  return {
    add(bytes) {
      total += bytes;
      const now = Date.now();
      if (now - started < SHOW_AFTER_MS || now - lastShown < UPDATE_EVERY_MS) return;
      lastShown = now;
      shown = true;
      stream.write(`\r\x1b[K${label}: ${formatBytes(total)}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
