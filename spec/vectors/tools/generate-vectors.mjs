// Writes the vector files of spec/vectors from the hand-written cases below.
// Run: node spec/vectors/tools/generate-vectors.mjs [output-dir]   (default: spec/vectors)
// The expectations here are decided by hand from spec/jsonrpc-fdpass.md; this script only spares
// us from typing byte-at-a-time splits and hex by hand. Edit the cases, rerun, commit both.
import { writeFileSync, mkdirSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv[2] !== undefined;

// ---- helpers -------------------------------------------------------------------------------

const UP = 'upstream README';
const OURS = 'spec/jsonrpc-fdpass.md';

/** One read of `data` (a string is UTF-8; a Buffer is raw) with `fds` descriptors. */
function read(data, fds = 0) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  // utf8 when the bytes are valid UTF-8 and readable; hex otherwise (split characters, bad bytes).
  const readable = isUtf8(bytes) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff]/.test(bytes.toString('utf8'));
  const r = readable ? { utf8: bytes.toString('utf8') } : { hex: bytes.toString('hex') };
  if (fds > 0) r.fds = fds;
  return r;
}

const EOF = { eof: true };

/** Reads cutting `data` at the given byte offsets; `fdsAt` maps a read index to its fd count. */
function splitAt(data, cuts, fdsAt = {}) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const points = [0, ...cuts, bytes.length];
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) out.push(read(bytes.subarray(points[i], points[i + 1]), fdsAt[i] ?? 0));
  return out;
}

/** One read per byte. */
function bytewise(data, fdsAt = {}) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return splitAt(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1), fdsAt);
}

const msg = (json, fds, afterRead) => ({ json, fds, afterRead });
const fatal = (reason, afterRead) => ({ reason, afterRead });

function rx(name, description, rule, reads, messages, fatalAt, limits) {
  const v = { name, description, rule };
  if (limits) v.limits = limits;
  v.reads = reads;
  v.expect = fatalAt ? { messages, fatal: fatalAt } : { messages };
  return v;
}

function writeFile(path, kind, vectors) {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  const schema = path.split('/').length > 1 ? '../schema.json' : 'schema.json';
  writeFileSync(full, format({ $schema: schema, kind, vectors }, '') + '\n');
  if (!quiet) console.log(`${path}: ${vectors.length} vectors`);
}

/** JSON with short arrays and objects on one line, so that one read or one message is one line. */
function format(value, indent) {
  const inline = JSON.stringify(value);
  if (typeof value !== 'object' || value === null || indent.length + inline.length <= 120) return inline;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((x) => inner + format(x, inner)).join(',\n')}\n${indent}]`;
  const members = Object.entries(value).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner)}`);
  return `{\n${members.join(',\n')}\n${indent}}`;
}

const req = (id, extra = {}) => ({ jsonrpc: '2.0', method: 'm', id, ...extra });
const reqText = (id, extra = {}) => JSON.stringify(req(id, extra));

// ---- receiver: whitespace between messages -----------------------------------------------------

const WS_RULE = `${UP} §2.2: only space, tab, LF and CR between messages`;
const a = '{"a":1}';
const b = '{"b":2}';
writeFile('receiver/whitespace.json', 'receiver', [
  rx('ws-none-between-messages', 'Two objects back to back with nothing between them.', `${UP} §2.2: whitespace permitted but not required`,
    [read(a + b)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-space-between-messages', 'One space between two messages.', WS_RULE, [read(`${a} ${b}`)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-tab-between-messages', 'One tab between two messages.', WS_RULE, [read(`${a}\t${b}`)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-lf-between-messages', 'Newline-delimited messages, including a final newline.', WS_RULE, [read(`${a}\n${b}\n`)],
    [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-cr-between-messages', 'A bare carriage return between two messages.', WS_RULE, [read(`${a}\r${b}`)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-crlf-between-messages', 'CRLF line ends between messages.', WS_RULE, [read(`${a}\r\n${b}\r\n`)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-long-mixed-run', 'Two hundred bytes mixing all four whitespace kinds between two messages.', WS_RULE,
    [read(a + ' \t\r\n'.repeat(50) + b)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('ws-before-first-message', 'Whitespace before the first message of the stream.', WS_RULE, [read(`\n\n  \t${a}`)], [msg({ a: 1 }, 0, 0)]),
  rx('ws-in-own-reads', 'Whitespace arriving in reads of its own between two messages.', WS_RULE,
    [read(a), read('   '), read('\r\n'), read(b)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 3)]),
  rx('ws-trailing-then-eof', 'A message, trailing whitespace, then a clean end of stream.', `${WS_RULE}; ${OURS} §4`,
    [read(`${a}\n\n`), read(' '), EOF], [msg({ a: 1 }, 0, 0)]),
  rx('ws-only-stream', 'A stream of whitespace only, then end of stream: no message, no error.', WS_RULE, [read(' \n\t\r '), EOF], []),
  rx('eof-immediately', 'End of stream before any byte: a clean close.', `${OURS} §4`, [EOF], []),
  rx('ws-pretty-printed-message', 'Whitespace inside a message (pretty-printed JSON) is part of the JSON text.', `${UP} §2.2`,
    [read('{\n  "jsonrpc": "2.0",\r\n\t"method" : "m" ,\n  "params" : [ 1 , 2 ]\n}\n')], [msg({ jsonrpc: '2.0', method: 'm', params: [1, 2] }, 0, 0)]),
  rx('ws-form-feed-is-not-whitespace', 'A form feed (0x0C) between messages is not JSON whitespace.', WS_RULE,
    [read(`${a}\f${b}`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('ws-vertical-tab-is-not-whitespace', 'A vertical tab (0x0B) between messages is not JSON whitespace.', WS_RULE,
    [read(`${a}\v${b}`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('ws-nbsp-is-not-whitespace', 'A UTF-8 no-break space (C2 A0) between messages is not JSON whitespace.', WS_RULE,
    [read(`${a}\u00a0${b}`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('ws-nul-is-not-a-delimiter', 'A NUL byte (the Varlink delimiter) between messages is a framing error here.', WS_RULE,
    [read(`${a}\u0000${b}`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('ws-bom-at-start', 'A UTF-8 byte order mark before the first message is not whitespace: framing error.', `${WS_RULE}; RFC 8259 §8.1 (a BOM must not be sent)`,
    [read(`\ufeff${a}`)], [], fatal('framing', 0)),
]);

// ---- receiver: framing and top-level values ----------------------------------------------------

const FR = `${UP} §5 step 3.2 and §7: a syntax error is a fatal framing error`;
const TOP = `${OURS} §1 resolved: top-level values that are not objects`;
writeFile('receiver/framing.json', 'receiver', [
  rx('empty-object', 'The empty object is a complete message (the JSON-RPC layer rejects it, not the framing).', `${UP} §2.2`,
    [read('{}')], [msg({}, 0, 0)]),
  rx('empty-objects-adjacent', 'Three empty objects in one read.', `${UP} §5`, [read('{}{} {}')], [msg({}, 0, 0), msg({}, 0, 0), msg({}, 0, 0)]),
  rx('many-messages-one-read', 'Ten requests in a single read are all dispatched, in order.', `${UP} §5: several messages in one recvmsg`,
    [read(Array.from({ length: 10 }, (_, i) => reqText(i)).join(''))], Array.from({ length: 10 }, (_, i) => msg(req(i), 0, 0))),
  rx('message-and-start-of-next', 'A read ends inside the second message; it completes in the next read.', `${UP} §5 step 3.1`,
    [read('{"a":1}{"b"'), read(':2}')], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 1)]),
  rx('top-level-array-dispatched', 'A JSON-RPC batch array is a well-formed value: dispatched (the JSON-RPC layer answers -32600).', TOP,
    [read(`[${reqText(1)}]`)], [msg([req(1)], 0, 0)]),
  rx('top-level-empty-array', 'An empty array is dispatched like any array.', TOP, [read('[] {}')], [msg([], 0, 0), msg({}, 0, 0)]),
  rx('scalar-number', 'A bare number cannot be delimited in a stream: framing error.', TOP, [read('1')], [], fatal('framing', 0)),
  rx('scalar-negative-number', 'A bare negative number: framing error.', TOP, [read('-1 ')], [], fatal('framing', 0)),
  rx('scalar-string', 'A bare string at top level: framing error.', TOP, [read('"hello"')], [], fatal('framing', 0)),
  rx('scalar-true', 'A bare literal true: framing error.', TOP, [read('true')], [], fatal('framing', 0)),
  rx('scalar-null', 'A bare literal null: framing error.', TOP, [read('null')], [], fatal('framing', 0)),
  rx('scalar-after-message', 'A bare number after a good message: the message is dispatched, then framing error.', TOP,
    [read(`${a} 2`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('close-brace-at-top-level', 'A closing brace where a message should start.', FR, [read('}')], [], fatal('framing', 0)),
  rx('close-bracket-at-top-level', 'A closing bracket where a message should start.', FR, [read(']')], [], fatal('framing', 0)),
  rx('extra-close-brace', 'One closing brace too many after a message.', FR, [read('{"a":1}}')], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('trailing-garbage', 'A letter after a complete message.', FR, [read('{"a":1}x')], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('comma-between-messages', 'A comma between messages (messages are not an array).', FR, [read(`${a},${b}`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('comment-after-message', 'JSON has no comments.', FR, [read(`${a} // note\n`)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('syntax-missing-value', 'A member without a value.', FR, [read('{"a":}')], [], fatal('framing', 0)),
  rx('syntax-trailing-comma', 'A trailing comma inside an object.', FR, [read('{"a":1,}')], [], fatal('framing', 0)),
  rx('syntax-single-quotes', 'Single-quoted strings are not JSON.', FR, [read("{'a':1}")], [], fatal('framing', 0)),
  rx('syntax-unquoted-key', 'An unquoted member name.', FR, [read('{a:1}')], [], fatal('framing', 0)),
  rx('syntax-leading-zero', 'A number with a leading zero.', FR, [read('{"a":01}')], [], fatal('framing', 0)),
  rx('syntax-nan', 'NaN is not a JSON number.', FR, [read('{"a":NaN}')], [], fatal('framing', 0)),
  rx('syntax-mismatched-brackets', 'An object closed by the wrong bracket kind.', FR, [read('{"a":[1}]')], [], fatal('framing', 0)),
  rx('syntax-bad-escape', 'An unknown string escape (\\x).', FR, [read(String.raw`{"s":"\x41"}`)], [], fatal('framing', 0)),
  rx('syntax-raw-control-char-in-string', 'An unescaped U+0001 inside a string.', FR, [read('{"s":"a\u0001b"}')], [], fatal('framing', 0)),
  rx('syntax-raw-newline-in-string', 'An unescaped line feed inside a string.', FR, [read('{"s":"a\nb"}')], [], fatal('framing', 0)),
  rx('syntax-raw-tab-in-string', 'An unescaped tab inside a string.', FR, [read('{"s":"a\tb"}')], [], fatal('framing', 0)),
  rx('syntax-error-after-good-message', 'The first message is dispatched, the second is not JSON.', FR,
    [read('{"id":1}{"id":}')], [msg({ id: 1 }, 0, 0)], fatal('framing', 0)),
  rx('reads-after-fatal-are-ignored', 'After a framing error nothing more is dispatched (the runner stops delivering reads).', `${UP} §7: the connection MUST be closed`,
    [read('{"a":1}x'), read(b)], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
  rx('eof-inside-message', 'The stream ends inside an object: a framing error (the value is incomplete, not a parsed message).', `${OURS} §4 step 1; ${UP} §7 framing error`,
    [read('{"a":1'), EOF], [], fatal('framing', 1)),
  rx('eof-inside-string', 'The stream ends inside a string.', `${OURS} §4 step 1; ${UP} §7 framing error`,
    [read('{"a":"xy'), EOF], [], fatal('framing', 1)),
  rx('eof-inside-message-with-its-fds', 'The stream ends inside a message whose fds already arrived: framing, not mismatched count. No message was parsed, so no count exists to mismatch (upstream §7 defines mismatched count for a parsed message).', `${OURS} §4 step 1; ${UP} §7`,
    [read('{"fds":1,"params":', 1), EOF], [], fatal('framing', 1)),
  rx('eof-inside-message-fds-short', 'The stream ends inside a message that says "fds": 2 with one fd queued: still framing.', `${OURS} §4 step 1; ${UP} §7`,
    [read('{"fds":2,"a":[1', 1), EOF], [], fatal('framing', 1)),
  rx('eof-after-complete-message-then-partial', 'A complete message, then the stream ends inside the next one.', `${OURS} §4 step 1`,
    [read('{"a":1} {"b":'), EOF], [msg({ a: 1 }, 0, 0)], fatal('framing', 1)),
]);

// ---- receiver: UTF-8 ---------------------------------------------------------------------------

const U8 = `${UP} §2.2: UTF-8; ${OURS} §1 resolved: invalid UTF-8 is a framing error`;
const hex = (h) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const withBytes = (before, mid, after) => Buffer.concat([Buffer.from(before, 'utf8'), mid, Buffer.from(after, 'utf8')]);
const emoji = '{"s":"\u{1F600}"}'; // F0 9F 98 80 at bytes 6..9
writeFile('receiver/utf8.json', 'receiver', [
  rx('utf8-multibyte-intact', 'Two-, three- and four-byte characters in one read.', U8, [read('{"s":"é中😀"}')], [msg({ s: 'é中😀' }, 0, 0)]),
  rx('utf8-two-byte-split', 'é (C3 A9) split between two reads.', U8, splitAt('{"s":"é"}', [7]), [msg({ s: 'é' }, 0, 1)]),
  rx('utf8-three-byte-split', '中 (E4 B8 AD) split after its first and second byte.', U8, splitAt('{"s":"中"}', [7, 8]), [msg({ s: '中' }, 0, 2)]),
  rx('utf8-four-byte-split-1-3', 'An emoji split after its first byte.', U8, splitAt(emoji, [7]), [msg({ s: '😀' }, 0, 1)]),
  rx('utf8-four-byte-split-2-2', 'An emoji split in the middle.', U8, splitAt(emoji, [8]), [msg({ s: '😀' }, 0, 1)]),
  rx('utf8-four-byte-split-3-1', 'An emoji split before its last byte.', U8, splitAt(emoji, [9]), [msg({ s: '😀' }, 0, 1)]),
  rx('utf8-four-byte-bytewise', 'An emoji delivered one byte per read.', U8, bytewise(emoji), [msg({ s: '😀' }, 0, Buffer.byteLength(emoji) - 1)]),
  rx('utf8-in-member-name', 'A non-ASCII member name split across reads.', U8, splitAt('{"ключ":1}', [3]), [msg({ 'ключ': 1 }, 0, 1)]),
  rx('utf8-invalid-ff', 'The byte FF inside a string.', U8, [read(withBytes('{"s":"', hex('ff'), '"}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-overlong', 'An overlong encoding of "/" (C0 AF).', U8, [read(withBytes('{"s":"', hex('c0af'), '"}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-lone-continuation', 'A continuation byte (80) with no lead byte.', U8, [read(withBytes('{"s":"', hex('80'), '"}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-truncated-sequence', 'A lead byte (C3) followed by ASCII.', U8, [read(withBytes('{"s":"', hex('c3'), '("}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-encoded-surrogate', 'A UTF-16 surrogate encoded as UTF-8 (ED A0 80).', U8, [read(withBytes('{"s":"', hex('eda080'), '"}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-above-max', 'A code point above U+10FFFF (F4 90 80 80).', U8, [read(withBytes('{"s":"', hex('f4908080'), '"}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-in-member-name', 'An invalid byte inside a member name.', U8, [read(withBytes('{"', hex('fe'), '":1}'))], [], fatal('framing', 0)),
  rx('utf8-invalid-after-good-message', 'The first message is dispatched, the second has an invalid byte.', U8,
    [read(withBytes('{"a":1}{"s":"', hex('ff'), '"}'))], [msg({ a: 1 }, 0, 0)], fatal('framing', 0)),
]);

// ---- receiver: messages split at structural points ---------------------------------------------

const SPLIT = `${UP} §5 step 3.1: an incomplete value waits for more bytes`;
const bigReq = String.raw`{"jsonrpc":"2.0","method":"ping","params":{"s":"a\"}{[","t":"\\","n":[1,-2.5e3,true,null]},"id":7}`;
const bigReqJson = { jsonrpc: '2.0', method: 'ping', params: { s: 'a"}{[', t: '\\', n: [1, -2500, true, null] }, id: 7 };
const bigParams = { jsonrpc: '2.0', method: 'write', params: { data: 'abcdefgh'.repeat(1024) }, id: 2 };
const tripleBs = String.raw`{"s":"\\\"x"}`; // s = \"x
const bsThenQuote = String.raw`{"s":"a\\"}{"t":1}`; // s = a\
writeFile('receiver/splits.json', 'receiver', [
  rx('bytewise-request', 'A request with escapes, braces in strings and numbers, one byte per read.', SPLIT,
    bytewise(bigReq), [msg(bigReqJson, 0, Buffer.byteLength(bigReq) - 1)]),
  rx('bytewise-two-messages-with-whitespace', 'Two messages and the whitespace between them, one byte per read.', SPLIT,
    bytewise(`${a}\r\n${b}`), [msg({ a: 1 }, 0, 6), msg({ b: 2 }, 0, 15)]),
  rx('split-inside-string', 'A read ends in the middle of a string value.', SPLIT, splitAt('{"method":"hello"}', [13]), [msg({ method: 'hello' }, 0, 1)]),
  rx('split-inside-member-name', 'A read ends inside a member name.', SPLIT, splitAt('{"jsonrpc":"2.0"}', [5]), [msg({ jsonrpc: '2.0' }, 0, 1)]),
  rx('split-after-open-brace-and-before-close', 'Reads end right after { and right before }.', SPLIT, splitAt('{"a":1}', [1, 6]), [msg({ a: 1 }, 0, 2)]),
  rx('split-between-name-and-colon', 'A read ends between a member name and its colon.', SPLIT, splitAt('{"a" : 1}', [4]), [msg({ a: 1 }, 0, 1)]),
  rx('split-after-escaping-backslash', 'A read ends right after the backslash of \\" (the quote does not end the string).', SPLIT,
    splitAt(String.raw`{"s":"a\"}"}`, [8]), [msg({ s: 'a"}' }, 0, 1)]),
  rx('split-inside-escaped-backslash', 'A read ends between the two backslashes of \\\\; the quote after them ends the string.', SPLIT,
    splitAt(bsThenQuote, [8]), [msg({ s: 'a\\' }, 0, 1), msg({ t: 1 }, 0, 1)]),
  rx('split-after-escaped-backslash', 'A read ends after \\\\; the quote that starts the next read ends the string.', SPLIT,
    splitAt(bsThenQuote, [9]), [msg({ s: 'a\\' }, 0, 1), msg({ t: 1 }, 0, 1)]),
  rx('bytewise-backslash-run', 'Three backslashes then a quote (an escaped backslash and an escaped quote), one byte per read.', SPLIT,
    bytewise(tripleBs), [msg({ s: '\\"x' }, 0, Buffer.byteLength(tripleBs) - 1)]),
  rx('split-backslash-run-in-one-read', 'The same backslash run whole in one read, followed by another message.', SPLIT,
    [read(tripleBs + b)], [msg({ s: '\\"x' }, 0, 0), msg({ b: 2 }, 0, 0)]),
  rx('split-inside-unicode-escape', 'A read ends inside a \\u escape.', SPLIT, splitAt(String.raw`{"s":"\u00e9"}`, [9]), [msg({ s: 'é' }, 0, 1)]),
  rx('split-between-surrogate-escapes', 'A read ends between the two \\u escapes of a surrogate pair.', SPLIT,
    splitAt(String.raw`{"s":"\ud83d\ude00"}`, [12]), [msg({ s: '😀' }, 0, 1)]),
  rx('split-inside-number', 'A read ends inside an integer.', SPLIT, splitAt('{"n":1234}', [7]), [msg({ n: 1234 }, 0, 1)]),
  rx('split-inside-number-at-end-of-object', 'A read ends after the last digit of a number, before the closing brace.', SPLIT,
    splitAt('{"n":1234}', [9]), [msg({ n: 1234 }, 0, 1)]),
  rx('split-inside-exponent', 'Reads end after the minus sign and after the exponent marker.', SPLIT,
    splitAt('{"n":-1.5e+3}', [6, 10]), [msg({ n: -1500 }, 0, 2)]),
  rx('split-inside-literals', 'Reads end inside true, false and null.', SPLIT,
    splitAt('{"t":true,"f":false,"z":null}', [7, 17, 27]), [msg({ t: true, f: false, z: null }, 0, 3)]),
  rx('split-at-message-boundary', 'Each read holds exactly one message.', SPLIT, [read(a), read(b)], [msg({ a: 1 }, 0, 0), msg({ b: 2 }, 0, 1)]),
  rx('brackets-inside-strings', 'Braces and brackets inside strings do not count as structure.', SPLIT,
    [read(String.raw`{"s":"}{][","t":"\"}"}`)], [msg({ s: '}{][', t: '"}' }, 0, 0)]),
  rx('bytewise-brackets-inside-strings', 'The same, one byte per read.', SPLIT,
    bytewise(String.raw`{"s":"}{][","t":"\"}"}`), [msg({ s: '}{][', t: '"}' }, 0, String.raw`{"s":"}{][","t":"\"}"}`.length - 1)]),
  rx('large-message-many-reads', 'An 8 KiB request arriving in 512-byte reads, then a small one.', SPLIT,
    splitAt(JSON.stringify(bigParams) + a, Array.from({ length: 16 }, (_, i) => (i + 1) * 512)),
    [msg(bigParams, 0, Math.floor(Buffer.byteLength(JSON.stringify(bigParams)) / 512)), msg({ a: 1 }, 0, Math.floor(Buffer.byteLength(JSON.stringify(bigParams)) / 512))]),
  rx('deep-legal-nesting', 'One hundred nested arrays inside a message, under the default depth limit.', `${OURS} §6: nesting depth`,
    [read(`{"d":${'['.repeat(99)}${']'.repeat(99)}}`)], [msg({ d: nest(99) }, 0, 0)]),
]);

function nest(n) {
  let v = [];
  for (let i = 1; i < n; i++) v = [v];
  return v;
}

// ---- receiver: descriptors ---------------------------------------------------------------------

const FD = `${UP} §3.2, §5 steps 3.3-3.5`;
const BATCH = `${UP} §4.1 and §5 step 3.4: wait for batched fds`;
const EARLY = `${OURS} §4 resolved: descriptors sent early are legal`;
const LEFT = `${OURS} §4: fds still queued at end of stream are closed`;
const NESTED = `${UP} §3.2: fds is a top-level member`;
const r1 = req(1, { fds: 1 });
writeFile('receiver/fds.json', 'receiver', [
  rx('fds-one-with-message', 'A request with one fd arriving in the same read.', FD, [read(JSON.stringify(r1), 1)], [msg(r1, 1, 0)]),
  rx('fds-absent', 'No fds member and no fds: nothing attached.', FD, [read(reqText(1))], [msg(req(1), 0, 0)]),
  rx('fds-zero-explicit', 'An explicit "fds": 0.', FD, [read('{"fds":0}')], [msg({ fds: 0 }, 0, 0)]),
  rx('fds-two-messages-own-reads', 'Two messages, each with its fds in its own read.', FD,
    [read('{"fds":1}', 1), read('{"fds":2}', 2)], [msg({ fds: 1 }, 1, 0), msg({ fds: 2 }, 2, 1)]),
  rx('fds-on-first-byte-bytewise', 'Two fds ride the first byte; the rest of the message follows one byte per read.', FD,
    bytewise(JSON.stringify(req(1, { fds: 2 })), { 0: 2 }), [msg(req(1, { fds: 2 }), 2, JSON.stringify(req(1, { fds: 2 })).length - 1)]),
  rx('fds-with-last-chunk-of-message', 'The fds arrive with the message\'s last bytes (legal for a receiver).', FD,
    [read('{"fds":'), read('2}', 2)], [msg({ fds: 2 }, 2, 1)]),
  rx('fds-with-middle-chunk-of-message', 'The fd arrives with a middle part of its message.', FD,
    [read('{"fd'), read('s":', 1), read('1}')], [msg({ fds: 1 }, 1, 2)]),
  rx('fds-several-messages-one-read', 'A read with an fd-less message and a message with two fds (kernel glued two sends).', `${FD}; ${OURS} §4`,
    [read('{"id":1}{"id":2,"fds":2}', 2)], [msg({ id: 1 }, 0, 0), msg({ id: 2, fds: 2 }, 2, 0)]),
  rx('fds-message-with-fds-then-fdless-in-next-read', 'A message with its fd, then an fd-less message.', FD,
    [read('{"fds":1}', 1), read('{"id":2}')], [msg({ fds: 1 }, 1, 0), msg({ id: 2 }, 0, 1)]),
  rx('fds-batched-two-reads', 'Three fds: two with the message, one in a one-space continuation read.', BATCH,
    [read('{"fds":3}', 2), read(' ', 1)], [msg({ fds: 3 }, 3, 1)]),
  rx('fds-batched-many-continuations', 'Five fds: one with the message, then four continuation reads.', BATCH,
    [read('{"fds":5}', 1), read(' ', 1), read(' ', 1), read(' ', 1), read(' ', 1)], [msg({ fds: 5 }, 5, 4)]),
  rx('fds-batched-253-then-47', 'Three hundred fds: 253 with the message (Linux SCM_MAX_FD), 47 in a continuation.', BATCH,
    [read('{"fds":300}', 253), read(' ', 47)], [msg({ fds: 300 }, 300, 1)]),
  rx('fds-batched-continuation-other-whitespace', 'A continuation read whose byte is a newline: any whitespace is accepted.', BATCH,
    [read('{"fds":2}', 1), read('\n', 1)], [msg({ fds: 2 }, 2, 1)]),
  rx('fds-batched-whitespace-read-without-fds', 'While waiting, a whitespace read without fds, then the missing fd.', BATCH,
    [read('{"fds":2}', 1), read(' '), read(' ', 1)], [msg({ fds: 2 }, 2, 2)]),
  rx('fds-batched-message-waits-without-fds', 'The message arrives with no fd; its only fd comes in a continuation read.', BATCH,
    [read('{"fds":1}'), read(' ', 1)], [msg({ fds: 1 }, 1, 1)]),
  rx('fds-batched-then-next-message', 'A batched message, then the next message in its own read.', BATCH,
    [read('{"fds":3}', 2), read(' ', 1), read('{"id":2}')], [msg({ fds: 3 }, 3, 1), msg({ id: 2 }, 0, 2)]),
  rx('fds-member-first', 'The fds member may come first; member order does not matter.', FD,
    [read('{"fds":1,"jsonrpc":"2.0","method":"m"}', 1)], [msg({ fds: 1, jsonrpc: '2.0', method: 'm' }, 1, 0)]),
  rx('fds-zero-with-fd-arriving', 'A message says "fds": 0 but an fd arrives with it: the fd waits for the next message.', `${FD}; ${EARLY}`,
    [read('{"fds":0}', 1), read('{"fds":1}')], [msg({ fds: 0 }, 0, 0), msg({ fds: 1 }, 1, 1)]),
  rx('fds-split-between-early-read-and-own-read', 'One fd arrives early with whitespace, the other with the message.', `${FD}; ${EARLY}`,
    [read(' ', 1), read('{"fds":2}', 1)], [msg({ fds: 2 }, 2, 1)]),
  rx('fds-continuation-extra-then-next-with-own', 'A continuation brings one fd for A and one early fd for B; B brings its second fd itself.', `${BATCH}; ${EARLY}`,
    [read('{"id":"A","fds":2}', 1), read(' ', 2), read('{"id":"B","fds":2}', 1)],
    [msg({ id: 'A', fds: 2 }, 2, 1), msg({ id: 'B', fds: 2 }, 2, 2)]),
  rx('fds-continuation-after-fdless-message', 'A whitespace read with an fd after an fd-less message; nobody claims it, closed at end of stream.', LEFT,
    [read('{"id":1}'), read(' ', 1), EOF], [msg({ id: 1 }, 0, 0)]),
  rx('fds-early-in-whitespace-read', 'An fd arrives with whitespace before its message\'s bytes.', EARLY,
    [read('\n', 1), read('{"fds":1}')], [msg({ fds: 1 }, 1, 1)]),
  rx('fds-early-with-previous-message', 'The fd of message 2 arrives with fd-less message 1.', EARLY,
    [read('{"id":1}', 1), read('{"id":2,"fds":1}')], [msg({ id: 1 }, 0, 0), msg({ id: 2, fds: 1 }, 1, 1)]),
  rx('fds-early-for-two-later-messages', 'Two fds arrive first; two messages take one each.', EARLY,
    [read(' ', 2), read('{"fds":1}'), read('{"fds":1}')], [msg({ fds: 1 }, 1, 1), msg({ fds: 1 }, 1, 2)]),
  rx('fds-extra-in-continuation-go-to-next', 'A continuation read brings one fd more than needed; the next message takes it.', EARLY,
    [read('{"fds":2}', 1), read(' ', 2), read('{"fds":1}')], [msg({ fds: 2 }, 2, 1), msg({ fds: 1 }, 1, 2)]),
  rx('fds-more-than-declared-then-eof', 'Three fds for a message that declares one; two are left over and closed at end of stream.', `${EARLY}; ${LEFT}`,
    [read('{"fds":1}', 3), EOF], [msg({ fds: 1 }, 1, 0)]),
  rx('fds-leftover-no-message-eof', 'Fds with whitespace only, then end of stream: closed, not an error.', LEFT, [read(' ', 2), EOF], []),
  rx('fds-leftover-fdless-message-eof', 'An fd-less message with two fds, then end of stream: the fds are closed.', LEFT,
    [read('{"id":1}', 2), EOF], [msg({ id: 1 }, 0, 0)]),
  rx('fds-leftover-without-eof', 'Unclaimed fds while the connection stays open; the receiver closes them when it closes.', LEFT,
    [read('{"id":1}', 1)], [msg({ id: 1 }, 0, 0)]),
  rx('fds-nested-key-ignored', 'An fds member inside params is not the message\'s fds; the arriving fds stay unclaimed.', NESTED,
    [read('{"params":{"fds":2}}', 2), EOF], [msg({ params: { fds: 2 } }, 0, 0)]),
  rx('fds-nested-in-array-ignored', 'An fds member inside an array element is ignored.', NESTED,
    [read('{"params":[{"fds":1}]}')], [msg({ params: [{ fds: 1 }] }, 0, 0)]),
  rx('fds-nested-and-top-level', 'Both a nested and a top-level fds member: only the top-level one counts.', NESTED,
    [read('{"params":{"fds":5},"fds":1}', 1)], [msg({ params: { fds: 5 }, fds: 1 }, 1, 0)]),
  rx('fds-key-inside-string-ignored', 'The text "fds":3 inside a string value is not a member.', NESTED,
    [read(String.raw`{"s":"\"fds\":3"}`)], [msg({ s: '"fds":3' }, 0, 0)]),
  rx('fds-escaped-member-name-counts', 'A member name written with an escape (f\\u0064s) is "fds".', `${NESTED}; RFC 8259 §7`,
    [read(String.raw`{"f\u0064s":1}`, 1)], [msg({ fds: 1 }, 1, 0)]),
  rx('fds-in-array-not-read', 'A batch array has no top-level fds member; fds arriving with it are left over and closed.', `${TOP}; ${LEFT}`,
    [read('[{"fds":1}]', 1), EOF], [msg([{ fds: 1 }], 0, 0)]),
]);

// ---- receiver: mismatched count ----------------------------------------------------------------

const MM = `${UP} §5 step 3.4 and §7: mismatched count`;
const STEAL = `${OURS} §4 resolved: descriptors cannot move between messages (fd stealing)`;
const PACKED = `${OURS} §4 resolved: a read that began at or before a message's first byte may hold its fds`;
writeFile('receiver/mismatched-count.json', 'receiver', [
  rx('mismatch-next-message-first', 'Two fds announced, one arrived, then the next message starts.', MM,
    [read('{"fds":2}', 1), read('{"id":2}')], [], fatal('mismatched-count', 1)),
  rx('mismatch-next-message-same-read', 'One fd announced, none arrived, and the next message is in the same read.', MM,
    [read('{"fds":1}{"id":2}')], [], fatal('mismatched-count', 0)),
  rx('mismatch-partial-next-message', 'While waiting for an fd, the first byte of the next message arrives.', MM,
    [read('{"fds":1}'), read('  {')], [], fatal('mismatched-count', 1)),
  rx('mismatch-next-is-array', 'While waiting for an fd, an array starts.', MM, [read('{"fds":1}'), read('[]')], [], fatal('mismatched-count', 1)),
  rx('mismatch-before-framing', 'While waiting for an fd, a byte that is not JSON arrives: the count check comes first.', `${MM} (step 3.4 looks for any non-whitespace byte)`,
    [read('{"fds":1}'), read('x')], [], fatal('mismatched-count', 1)),
  rx('mismatch-eof-first', 'One fd announced, none arrived, end of stream.', MM, [read('{"fds":1}'), EOF], [], fatal('mismatched-count', 1)),
  rx('mismatch-eof-after-partial-batch', 'Three fds announced, two arrived, end of stream.', MM,
    [read('{"fds":3}', 2), EOF], [], fatal('mismatched-count', 1)),
  rx('mismatch-eof-after-whitespace', 'Waiting for an fd, whitespace arrives, then end of stream.', MM,
    [read('{"fds":1}'), read(' \n'), EOF], [], fatal('mismatched-count', 2)),
  rx('mismatch-after-good-messages', 'Earlier messages are dispatched; the mismatch is fatal only from there on.', MM,
    [read('{"id":1}'), read('{"fds":1}', 1), read('{"fds":1}'), read('{"id":4}')],
    [msg({ id: 1 }, 0, 0), msg({ fds: 1 }, 1, 1)], fatal('mismatched-count', 3)),
  rx('steal-next-message-fds', 'Message A announces two fds and gets one; B arrives with its own fd. A must not take B\'s fd.', STEAL,
    [read('{"id":"A","fds":2}', 1), read('{"id":"B","fds":1}', 1)], [], fatal('mismatched-count', 1)),
  rx('steal-same-count', 'A announces one fd and gets none; B arrives with one fd. A literal count check would hand B\'s fd to A.', STEAL,
    [read('{"id":"A","fds":1}'), read('{"id":"B","fds":1}', 1)], [], fatal('mismatched-count', 1)),
  rx('steal-continuation-read-with-next-message', 'A waits for one more fd; a read brings a space, message B and one fd: the fd rides B\'s bytes.', STEAL,
    [read('{"fds":2}', 1), read(' {"id":2}', 1)], [], fatal('mismatched-count', 1)),
  rx('packed-send-both-messages', 'One read holds A and B (each announcing one fd) and two fds: one send carried both messages and their fds, which is legal (every fd arrived before the next message\'s bytes). A takes the first fd, B the second.', PACKED,
    [read('{"id":"A","fds":1}{"id":"B","fds":1}', 2)], [msg({ id: 'A', fds: 1 }, 1, 0), msg({ id: 'B', fds: 1 }, 1, 0)]),
  rx('packed-send-fd-with-fdless-next', 'One read holds A (announcing one fd), fd-less B, and one fd: one send carried A with its fd followed by B.', PACKED,
    [read('{"id":"A","fds":1}{"id":"B"}', 1)], [msg({ id: 'A', fds: 1 }, 1, 0), msg({ id: 'B' }, 0, 0)]),
]);

// ---- receiver: invalid fds values --------------------------------------------------------------

const INV = `${OURS} §2 resolved: fds must be a non-negative integer within the limit`;
const invalid = (name, value, description) =>
  rx(`fds-invalid-${name}`, description, INV, [read(`{"jsonrpc":"2.0","method":"m","fds":${value}}`)], [], fatal('invalid-fds', 0));
writeFile('receiver/invalid-fds.json', 'receiver', [
  invalid('negative', '-1', 'A negative count.'),
  invalid('negative-fraction', '-0.5', 'A negative fraction.'),
  invalid('fraction', '1.5', 'A fractional count.'),
  invalid('string', '"1"', 'A string holding a number.'),
  invalid('null', 'null', 'null.'),
  invalid('true', 'true', 'The literal true.'),
  invalid('false', 'false', 'The literal false.'),
  invalid('array', '[1]', 'An array.'),
  invalid('object', '{"n":1}', 'An object.'),
  invalid('two-to-the-64', '18446744073709551616', '2^64: an integer far above any limit.'),
  invalid('huge', '1e300', 'A huge number in exponent form.'),
  rx('fds-invalid-above-limit', 'One more than the per-message limit (set to 2 here).', `${INV}; ${OURS} §6`,
    [read('{"fds":3}', 2)], [], fatal('invalid-fds', 0), { maxFdsPerMessage: 2 }),
  rx('fds-at-limit', 'Exactly the per-message limit (set to 2 here) is accepted.', `${INV}; ${OURS} §6`,
    [read('{"fds":2}', 2)], [msg({ fds: 2 }, 2, 0)], null, { maxFdsPerMessage: 2 }),
  rx('fds-invalid-above-default-limit', 'Above 4096, the limit of our reading, given explicitly.', `${INV}; ${OURS} §6`,
    [read('{"fds":4097}')], [], fatal('invalid-fds', 0), { maxFdsPerMessage: 4096 }),
  rx('fds-invalid-after-good-message', 'A good message, then one with a negative count in the same read.', INV,
    [read('{"id":1}{"id":2,"fds":-1}')], [msg({ id: 1 }, 0, 0)], fatal('invalid-fds', 0)),
  rx('fds-invalid-with-fds-queued', 'A string count with two fds queued: fatal, and the queued fds are closed.', `${INV}; ${UP} §8`,
    [read('{"fds":"2"}', 2)], [], fatal('invalid-fds', 0)),
  rx('fds-invalid-nested-ignored', 'An invalid fds member that is not at the top level is just data.', `${INV}; ${NESTED}`,
    [read('{"params":{"fds":-1}}')], [msg({ params: { fds: -1 } }, 0, 0)]),
]);

// ---- receiver: limits --------------------------------------------------------------------------

const LIM = `${OURS} §6: limits`;
const msg16 = '{"a":"12345678"}'; // 16 bytes
writeFile('receiver/limits.json', 'receiver', [
  rx('size-at-limit', 'A message of exactly maxMessageBytes (16) bytes.', LIM, [read(msg16)], [msg({ a: '12345678' }, 0, 0)], null, { maxMessageBytes: 16 }),
  rx('size-over-limit', 'A message one byte over maxMessageBytes (16).', LIM, [read('{"a":"123456789"}')], [], fatal('limit', 0), { maxMessageBytes: 16 }),
  rx('size-over-limit-before-message-ends', 'The limit is enforced as soon as the buffered part of a message exceeds it, not when it ends.', LIM,
    splitAt('{"a":"0123456789012345678901234567890"}', [10, 20, 30]), [], fatal('limit', 1), { maxMessageBytes: 16 }),
  rx('size-whitespace-not-counted', 'Whitespace before a message does not count towards its size.', LIM,
    [read(' '.repeat(100) + msg16)], [msg({ a: '12345678' }, 0, 0)], null, { maxMessageBytes: 16 }),
  rx('size-limit-is-per-message', 'Three messages at the limit in one read are all fine.', LIM,
    [read(msg16 + msg16 + msg16)], [msg({ a: '12345678' }, 0, 0), msg({ a: '12345678' }, 0, 0), msg({ a: '12345678' }, 0, 0)], null, { maxMessageBytes: 16 }),
  rx('size-over-limit-after-good-message', 'A good message, then one over the limit.', LIM,
    [read(msg16 + '{"a":"123456789"}')], [msg({ a: '12345678' }, 0, 0)], fatal('limit', 0), { maxMessageBytes: 16 }),
  rx('depth-at-limit', 'Nesting of exactly maxDepth (8); the top-level object counts as 1.', `${LIM}; ${OURS} §1 nesting`,
    [read(`{"d":${'['.repeat(7)}${']'.repeat(7)}}`)], [msg({ d: nest(7) }, 0, 0)], null, { maxDepth: 8 }),
  rx('depth-over-limit', 'Nesting one level deeper than maxDepth (8): a framing error.', `${LIM}; ${OURS} §1 nesting`,
    [read(`{"d":${'['.repeat(8)}${']'.repeat(8)}}`)], [], fatal('framing', 0), { maxDepth: 8 }),
  rx('depth-over-limit-objects', 'Nested objects count like arrays.', `${LIM}; ${OURS} §1 nesting`,
    [read('{"a":'.repeat(4) + '{}' + '}'.repeat(4))], [], fatal('framing', 0), { maxDepth: 4 }),
  rx('depth-top-level-array', 'A top-level array counts as level 1 too.', `${LIM}; ${OURS} §1 nesting`,
    [read('[[[[]]]] [[[[[]]]]]')], [msg([[[[]]]], 0, 0)], fatal('framing', 0), { maxDepth: 4 }),
  rx('depth-brackets-in-strings-not-counted', 'Brackets inside strings do not add depth.', `${LIM}; ${OURS} §1 nesting`,
    [read('{"s":"[[[[[[[[{{{{{{{{"}')], [msg({ s: '[[[[[[[[{{{{{{{{' }, 0, 0)], null, { maxDepth: 2 }),
  rx('depth-1001-default-limit', 'Nesting 1001 deep with the limit of our reading (1000).', `${LIM}; ${OURS} §1 nesting`,
    [read('['.repeat(1001) + ']'.repeat(1001))], [], fatal('framing', 0), { maxDepth: 1000 }),
  rx('queued-fds-over-limit', 'Unclaimed fds beyond maxQueuedFds (4) are fatal.', LIM,
    [read(' ', 3), read(' ', 2)], [], fatal('limit', 1), { maxQueuedFds: 4 }),
  rx('queued-fds-at-limit', 'Exactly maxQueuedFds (4) early fds, then the message that claims them.', LIM,
    [read(' ', 4), read('{"fds":4}')], [msg({ fds: 4 }, 4, 1)], null, { maxQueuedFds: 4 }),
  rx('queued-fds-leftovers-accumulate', 'Fds that fd-less messages leave behind add up towards the limit (3).', LIM,
    [read('{"id":1}', 2), read(' ', 2)], [msg({ id: 1 }, 0, 0)], fatal('limit', 1), { maxQueuedFds: 3 }),
  rx('queued-fds-claimed-free-space', 'Fds claimed by their messages do not count: three messages of 2 fds with a limit of 2.', LIM,
    [read('{"fds":2}', 2), read('{"fds":2}', 2), read('{"fds":2}', 2)], [msg({ fds: 2 }, 2, 0), msg({ fds: 2 }, 2, 1), msg({ fds: 2 }, 2, 2)], null, { maxQueuedFds: 2 }),
]);

// ---- sender ------------------------------------------------------------------------------------

const SEND = `${OURS} §3; ${UP} §2.3 and §4.1`;
const HALVE = `${OURS} §3: halve the batch on EINVAL and keep the smaller size`;
const SPACE = { utf8: ' ' };
const m = (id, extra = {}) => ({ jsonrpc: '2.0', method: 'm', params: [id], id, ...extra });
const sendJson = (json, fds) => ({ json, fds });
const cont = (fds) => ({ ...SPACE, fds });
function tx(name, description, rule, sendmsg, messages, sends) {
  return { name, description, rule, sendmsg, messages, expect: { sends } };
}
const linux = (startBatch) => ({ fdLimit: 253, startBatch });
writeFile('sender/batching.json', 'sender', [
  tx('send-no-fds', 'A message without fds: one sendmsg, no fds member.', SEND, linux(253), [{ json: m(1), fds: 0 }], [sendJson(m(1), 0)]),
  tx('send-one-fd', 'One fd rides the message bytes; the fds member is added.', SEND, linux(253), [{ json: m(1), fds: 1 }], [sendJson(m(1, { fds: 1 }), 1)]),
  tx('send-exactly-one-batch', '253 fds fit one sendmsg.', SEND, linux(253), [{ json: m(1), fds: 253 }], [sendJson(m(1, { fds: 253 }), 253)]),
  tx('send-one-over-batch', '254 fds: the last one follows in a one-space continuation.', SEND, linux(253),
    [{ json: m(1), fds: 254 }], [sendJson(m(1, { fds: 254 }), 253), cont(1)]),
  tx('send-two-full-batches', '506 fds: message plus 253, then a continuation with 253.', SEND, linux(253),
    [{ json: m(1), fds: 506 }], [sendJson(m(1, { fds: 506 }), 253), cont(253)]),
  tx('send-three-batches', '507 fds: 253, 253, 1.', SEND, linux(253),
    [{ json: m(1), fds: 507 }], [sendJson(m(1, { fds: 507 }), 253), cont(253), cont(1)]),
  tx('send-small-batch', 'A start batch of 4: ten fds go as 4, 4, 2.', SEND, linux(4),
    [{ json: m(1), fds: 10 }], [sendJson(m(1, { fds: 10 }), 4), cont(4), cont(2)]),
  tx('send-batch-of-one', 'A start batch of 1: every fd after the first rides its own space.', SEND, linux(1),
    [{ json: m(1), fds: 3 }], [sendJson(m(1, { fds: 3 }), 1), cont(1), cont(1)]),
  tx('send-caller-fds-overwritten', 'A caller-supplied fds member is replaced by the real count.', `${OURS} §2 resolved: senders write the field`, linux(253),
    [{ json: m(1, { fds: 99 }), fds: 2 }], [sendJson(m(1, { fds: 2 }), 2)]),
  tx('send-caller-fds-removed', 'A caller-supplied fds member is removed when no fds are attached.', `${OURS} §2 resolved: senders write the field`, linux(253),
    [{ json: m(1, { fds: 5 }), fds: 0 }], [sendJson(m(1), 0)]),
  tx('send-nested-fds-kept', 'An fds member inside params is application data and stays.', `${OURS} §2`, linux(253),
    [{ json: { jsonrpc: '2.0', method: 'm', params: { fds: 7 }, id: 1 }, fds: 1 }], [sendJson({ jsonrpc: '2.0', method: 'm', params: { fds: 7 }, id: 1, fds: 1 }, 1)]),
  tx('send-all-fds-before-next-message', 'The continuation of message 1 comes before any byte of message 2.', `${UP} §2.3 rule 1`, linux(253),
    [{ json: m(1), fds: 300 }, { json: m(2), fds: 1 }], [sendJson(m(1, { fds: 300 }), 253), cont(47), sendJson(m(2, { fds: 1 }), 1)]),
  tx('send-fdless-after-fds', 'An fd-less message after a message with fds.', SEND, linux(253),
    [{ json: m(1), fds: 2 }, { json: m(2), fds: 0 }], [sendJson(m(1, { fds: 2 }), 2), sendJson(m(2), 0)]),
  tx('send-einval-halves-attempt', 'Start batch 500: the attempt with 300 fds gets EINVAL and is halved to 150.', HALVE, linux(500),
    [{ json: m(1), fds: 300 }], [sendJson(m(1, { fds: 300 }), 150), cont(150)]),
  tx('send-einval-twice', 'Start batch 1000 with 1000 fds: EINVAL at 1000 and 500, then batches of 250.', HALVE, linux(1000),
    [{ json: m(1), fds: 1000 }], [sendJson(m(1, { fds: 1000 }), 250), cont(250), cont(250), cont(250)]),
  tx('send-einval-size-kept', 'After halving to 150, the next message starts at 150.', HALVE, linux(500),
    [{ json: m(1), fds: 300 }, { json: m(2), fds: 200 }], [sendJson(m(1, { fds: 300 }), 150), cont(150), sendJson(m(2, { fds: 200 }), 150), cont(50)]),
  tx('send-large-start-batch-no-einval', 'Start batch 500 but only 200 fds: under the kernel limit, no EINVAL, one sendmsg.', HALVE, linux(500),
    [{ json: m(1), fds: 200 }], [sendJson(m(1, { fds: 200 }), 200)]),
  tx('send-lower-platform-limit', 'A platform that allows 64 fds per sendmsg, start batch 64: 130 fds go as 64, 64, 2.', SEND,
    { fdLimit: 64, startBatch: 64 }, [{ json: m(1), fds: 130 }], [sendJson(m(1, { fds: 130 }), 64), cont(64), cont(2)]),
]);
