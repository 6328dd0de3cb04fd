/** One fd passed by a service manager (sd_listen_fds protocol). */
export interface ActivationFd {
  readonly fd: number;
  /** Its name from `LISTEN_FDNAMES`, or `'unknown'` when none was given. */
  readonly name: string;
}

/** The first fd passed by socket activation (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/**
 * Reads the socket activation variables: `LISTEN_FDS` fds from 3 on, meant for this process only when
 * `LISTEN_PID` is its pid, named by the colon-separated `LISTEN_FDNAMES`. Returns `undefined` when
 * nothing was passed to this process. With `unset`, the variables are removed so that children do
 * not see them (the fds stay open).
 */
export function activationFds(env: NodeJS.ProcessEnv = process.env, options: { unset?: boolean } = {}): ActivationFd[] | undefined {
  const pid = env['LISTEN_PID'];
  const count = env['LISTEN_FDS'];
  if (pid === undefined || count === undefined) return undefined;
  if (!/^\d+$/.test(pid) || Number(pid) !== process.pid) return undefined;
  if (!/^\d+$/.test(count)) return undefined;
  const n = Number(count);
  const names = env['LISTEN_FDNAMES']?.split(':') ?? [];
  if (options.unset === true) {
    delete env['LISTEN_PID'];
    delete env['LISTEN_FDS'];
    delete env['LISTEN_FDNAMES'];
    delete env['LISTEN_PIDFDID'];
  }
  const fds: ActivationFd[] = [];
  for (let i = 0; i < n; i++) fds.push({ fd: LISTEN_FDS_START + i, name: names[i] || 'unknown' });
  return fds;
}

/**
 * The Varlink fd among the activation fds: the one named `varlink`, or the only one when there is just
 * one (UAPI.20 requires the name only when several are passed).
 */
export function varlinkActivationFd(fds: readonly ActivationFd[]): number | undefined {
  const named = fds.find((f) => f.name === 'varlink');
  if (named !== undefined) return named.fd;
  return fds.length === 1 ? fds[0]!.fd : undefined;
}
