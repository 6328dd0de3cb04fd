import { Fd } from './fd.js';
import { nativeAddon } from './native.js';

/**
 * Creates a pipe: `[readEnd, writeEnd]`, both owned, close-on-exec and blocking. Node has no pipe(2) of
 * its own, and a pipe is the usual way to hand a stream of bytes to a peer as an fd.
 */
export function pipe(): [Fd, Fd] {
  const [r, w] = nativeAddon().pipe();
  return [new Fd(r), new Fd(w)];
}
