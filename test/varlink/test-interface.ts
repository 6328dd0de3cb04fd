import { setTimeout as sleep } from 'node:timers/promises';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { permissionDenied } from '../../src/varlink/standard-errors.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import { VarlinkService, type VarlinkInterfaceHandlers, type VarlinkMethodHandler } from '../../src/varlink/varlink-service.js';
import { fdText, textFd } from '../support/fd-files.js';

/** The interface the tests serve. */
export const TEST_IDL = `# A service for the Varlink tests.
interface org.example.test

# Returns its argument.
method Echo(value: string) -> (value: string)

method Add(a: int, b: int) -> (sum: int)

# Counts from 1 to n, one reply each.
# [Requires 'more' flag]
method Count(n: int) -> (i: int)

# [Supports 'more' flag]
method Ticks(n: int) -> (i: int)

method Sleep(ms: int, tag: string) -> (tag: string)

method Unimplemented() -> ()

method Secret() -> ()

method Crash() -> ()

method BadReply() -> (x: int)

method Fail(why: string) -> ()

# Reads the files behind the fds at the given indices.
method ReadFds(indices: []int) -> (texts: []string)

# Returns one fd per text, on a file holding it.
method OpenFds(texts: []string) -> (fds: []int)

method Note(text: string) -> ()

method Notes() -> (texts: []string)

# [Requires 'upgrade' flag]
method Switch(greeting: string) -> (ok: bool)

error Failed (why: string)
`;

/** A service with {@link TEST_IDL} and handlers; `notes` collects oneway `Note` calls. */
export function testService(
  options: { switch?: VarlinkMethodHandler } = {},
): { service: VarlinkService; notes: string[]; errors: Error[] } {
  const notes: string[] = [];
  const errors: Error[] = [];
  const service = new VarlinkService({
    vendor: 'Test Vendor',
    product: 'Test Product',
    version: '1.0',
    url: 'https://example.org/test',
    onError: (err) => errors.push(err),
  });
  const handlers: VarlinkInterfaceHandlers = {
    Echo: (p) => ({ value: p['value'] }),
    Add: (p) => {
      const a = p['a'] as number | bigint;
      const b = p['b'] as number | bigint;
      return { sum: typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a) + BigInt(b) : a + b };
    },
    Count: async function* (p) {
      const n = p['n'] as number;
      for (let i = 1; i < n; i++) yield { i };
      return { i: n };
    },
    Ticks: async function* (p) {
      const n = p['n'] as number;
      for (let i = 1; i < n; i++) yield { i };
      return { i: n };
    },
    Sleep: async (p) => {
      await sleep(p['ms'] as number);
      return { tag: p['tag'] };
    },
    Secret: () => {
      throw permissionDenied();
    },
    Crash: () => {
      throw new Error('handler bug');
    },
    BadReply: () => ({ x: 'not an int' }),
    Fail: (p) => {
      throw new VarlinkError('org.example.test.Failed', { why: p['why'] });
    },
    ReadFds: (p, ctx) => {
      const indices = p['indices'] as number[];
      const texts = indices.map((i) => {
        const fd = ctx.fds[i];
        if (fd === undefined) throw new VarlinkError('org.varlink.service.InvalidParameter', { parameter: 'indices' });
        return fdText(fd);
      });
      return { texts };
    },
    OpenFds: (p) => {
      const texts = p['texts'] as string[];
      const fds: Fd[] = texts.map((t) => textFd(t));
      return withFds({ fds: fds.map((_, i) => i) }, fds);
    },
    Note: (p) => {
      notes.push(p['text'] as string);
    },
    Notes: () => ({ texts: [...notes] }),
    ...(options.switch ? { Switch: options.switch } : {}),
  };
  service.addInterface(TEST_IDL, handlers);
  return { service, notes, errors };
}
