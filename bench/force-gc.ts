import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, run between rounds (untimed) so that no round pays for the garbage of the
 * one before it: the 16 MiB echoes leave hundreds of MiB behind, which otherwise lands on whichever
 * measurement runs next. `npm run bench` starts node without --expose-gc, so the flag is set at run
 * time and `gc` taken from a fresh context, where V8 installs it.
 */
export const forceGc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
