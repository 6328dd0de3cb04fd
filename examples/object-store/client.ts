/**
 * The object store demo: the same objects over Varlink (at most 253 fds per reply) and, after an
 * upgrade, over jsonrpc-fdpass (every fd in one message).
 *
 *   npx tsx examples/object-store/client.ts SOCKET
 *
 * Exits 0 when every fd received holds its object's content.
 */
import { fstatSync, readSync } from 'node:fs';
import { Fd } from '../../src/transport/fd.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';

const INTERFACE = 'org.example.objectstore';

const socket = process.argv[2];
if (socket === undefined) {
  console.error('usage: client.ts SOCKET');
  process.exit(2);
}

/** The content of the file behind `fd`, read with pread (fds of one file share no offset here anyway). */
function content(fd: Fd): string {
  const buffer = Buffer.alloc(fstatSync(fd.value).size);
  readSync(fd.value, buffer, 0, buffer.length, 0);
  return buffer.toString('utf8');
}

/** Checks that fd `objects[i]` holds object `names[i]` (`obj-00042` holds `object 42`). */
function verify(names: readonly string[], objects: readonly number[], fds: readonly Fd[]): void {
  if (objects.length !== names.length) throw new Error(`asked for ${names.length} objects, got ${objects.length}`);
  names.forEach((name, i) => {
    const fd = fds[objects[i]!];
    const wants = `object ${Number(name.slice(4))}`;
    if (fd === undefined || content(fd) !== wants) throw new Error(`${name}: wrong content`);
  });
}

const address = socket.includes(':') ? socket : `unix:${socket}`;
const client = await VarlinkClient.connect(address, { fds: true });
const { names } = (await client.call<{ names: string[] }>(`${INTERFACE}.ListObjects`)).parameters;
console.log(`varlink: ${names.length} objects`);

const few = names.slice(0, 3);
const small = await client.call<{ objects: number[] }>(`${INTERFACE}.OpenObjects`, { names: few });
verify(few, small.parameters.objects, small.fds);
console.log(`varlink: OpenObjects(${few.length}) -> ${small.fds.map(content).join(', ')}`);
Fd.closeAll(small.fds);

try {
  const many = await client.call(`${INTERFACE}.OpenObjects`, { names: names.slice(0, 300) });
  Fd.closeAll(many.fds);
  throw new Error('OpenObjects(300) succeeded over Varlink');
} catch (err) {
  if (!(err instanceof VarlinkError)) throw err;
  console.log(`varlink: OpenObjects(300) -> ${err.error} (limit ${String(err.parameters['limit'])}, use ${String(err.parameters['upgrade'])})`);
}

const peer = await client.upgradeToFdPass(`${INTERFACE}.Upgrade`);
console.log('upgraded to jsonrpc-fdpass');
const all = await peer.request<{ objects: number[] }>('openObjects', { names });
verify(names, all.result.objects, all.fds);
console.log(`jsonrpc-fdpass: openObjects(${names.length}) -> ${all.fds.length} fds in one message, contents match`);
Fd.closeAll(all.fds);
await peer.close();
