import { FATAL_REASONS, LIMIT_NAMES, VectorFormatError } from './vector-types.js';
import type {
  ExpectedFatal,
  ExpectedMessage,
  ExpectedSend,
  FatalReason,
  JsonObject,
  JsonValue,
  ReadStep,
  ReceiverLimits,
  ReceiverVector,
  SenderVector,
  Vector,
} from './vector-types.js';

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HEX = /^(?:[0-9a-f]{2})+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where in the file a check is; errors carry the path. */
class At {
  constructor(
    readonly file: string,
    readonly path: string,
  ) {}

  key(k: string): At {
    return new At(this.file, `${this.path}.${k}`);
  }

  index(i: number): At {
    return new At(this.file, `${this.path}[${i}]`);
  }

  fail(message: string): never {
    throw new VectorFormatError(this.file, this.path, message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(v: unknown, at: At, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isObject(v)) at.fail('must be an object');
  for (const k of required) if (!Object.hasOwn(v, k)) at.fail(`missing "${k}"`);
  for (const k of Object.keys(v)) if (!required.includes(k) && !optional.includes(k)) at.key(k).fail('unknown member');
  return v;
}

function array(v: unknown, at: At, nonEmpty: boolean): unknown[] {
  if (!Array.isArray(v)) at.fail('must be an array');
  if (nonEmpty && v.length === 0) at.fail('must not be empty');
  return v;
}

function text(v: unknown, at: At): string {
  if (typeof v !== 'string' || v.trim() === '') at.fail('must be a non-empty string');
  return v;
}

function integer(v: unknown, at: At, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) at.fail(`must be an integer ≥ ${min}`);
  return v;
}

/** `{ "utf8": … }` or `{ "hex": … }` (exactly one) as bytes; never empty. */
function payload(o: Record<string, unknown>, at: At): Buffer {
  const hasUtf8 = Object.hasOwn(o, 'utf8');
  if (hasUtf8 === Object.hasOwn(o, 'hex')) at.fail('needs exactly one of "utf8" and "hex"');
  let bytes: Buffer;
  if (hasUtf8) {
    const utf8 = o.utf8;
    const here: At = at.key('utf8');
    if (typeof utf8 !== 'string') here.fail('must be a string');
    // A lone surrogate would be silently replaced by U+FFFD; such bytes must be written as hex.
    if (LONE_SURROGATE.test(utf8)) here.fail('contains a lone surrogate: use "hex"');
    bytes = Buffer.from(utf8, 'utf8');
  } else {
    const hex = o.hex;
    const here: At = at.key('hex');
    if (typeof hex !== 'string' || !HEX.test(hex)) here.fail('must be pairs of lowercase hex digits');
    bytes = Buffer.from(hex, 'hex');
  }
  if (bytes.length === 0) at.fail('must carry at least one byte (a 0-byte read is end of stream)');
  return bytes;
}

function jsonValue(v: unknown, at: At): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) at.fail('must be a finite number');
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => jsonValue(x, at.index(i)));
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonValue(x, at.key(k));
    return out;
  }
  return at.fail('must be a JSON value');
}

function common(v: Record<string, unknown>, at: At): { name: string; description: string; rule: string } {
  const name = text(v.name, at.key('name'));
  if (!NAME.test(name)) at.key('name').fail('must be kebab-case: lowercase letters, digits and single hyphens');
  return { name, description: text(v.description, at.key('description')), rule: text(v.rule, at.key('rule')) };
}

function limits(v: unknown, at: At): ReceiverLimits {
  if (v === undefined) return {};
  const o = object(v, at, [], LIMIT_NAMES);
  const out: Record<string, number> = {};
  for (const k of LIMIT_NAMES) {
    if (o[k] !== undefined) out[k] = integer(o[k], at.key(k), k === 'maxFdsPerMessage' ? 0 : 1);
  }
  return out;
}

function reads(v: unknown, at: At): ReadStep[] {
  const list = array(v, at, true);
  return list.map((r, i) => {
    const here = at.index(i);
    if (isObject(r) && Object.hasOwn(r, 'eof')) {
      object(r, here, ['eof']);
      if (r.eof !== true) here.key('eof').fail('must be true');
      if (i !== list.length - 1) here.fail('end of stream must be the last step');
      return { eof: true };
    }
    const o = object(r, here, [], ['utf8', 'hex', 'fds']);
    const bytes = payload(o, here);
    const fds = o.fds === undefined ? 0 : integer(o.fds, here.key('fds'), 0);
    return { eof: false, bytes, fds };
  });
}

function receiverVector(v: Record<string, unknown>, at: At, file: string): ReceiverVector {
  object(v, at, ['name', 'description', 'rule', 'reads', 'expect'], ['limits']);
  const head = common(v, at);
  const steps = reads(v.reads, at.key('reads'));
  const expectAt = at.key('expect');
  const e = object(v.expect, expectAt, ['messages'], ['fatal']);

  // Fds delivered up to and including each step, to catch messages claiming fds that never came.
  const delivered: number[] = [];
  let total = 0;
  for (const s of steps) delivered.push((total += s.eof ? 0 : s.fds));

  const afterRead = (x: unknown, here: At): number => {
    const i = integer(x, here, 0);
    if (i >= steps.length) here.fail(`must name a step of "reads" (0…${steps.length - 1})`);
    return i;
  };

  let claimed = 0;
  let last = 0;
  const messages: ExpectedMessage[] = array(e.messages, expectAt.key('messages'), false).map((m, i) => {
    const here = expectAt.key('messages').index(i);
    const o = object(m, here, ['json', 'fds', 'afterRead']);
    const step = afterRead(o.afterRead, here.key('afterRead'));
    if (steps[step]!.eof) here.key('afterRead').fail('no message can complete at end of stream');
    if (step < last) here.key('afterRead').fail('messages must be listed in dispatch order');
    last = step;
    const fds = integer(o.fds, here.key('fds'), 0);
    claimed += fds;
    if (claimed > delivered[step]!) here.key('fds').fail(`only ${delivered[step]!} fds arrived up to step ${step}`);
    return { json: jsonValue(o.json, here.key('json')), fds, afterRead: step };
  });

  let fatal: ExpectedFatal | null = null;
  if (e.fatal !== undefined) {
    const here = expectAt.key('fatal');
    const o = object(e.fatal, here, ['reason', 'afterRead']);
    if (typeof o.reason !== 'string' || !(FATAL_REASONS as readonly string[]).includes(o.reason)) {
      here.key('reason').fail(`must be one of ${FATAL_REASONS.join(', ')}`);
    }
    const step = afterRead(o.afterRead, here.key('afterRead'));
    if (step < last) here.key('afterRead').fail('no message can be dispatched after the fatal error');
    fatal = { reason: o.reason as FatalReason, afterRead: step };
  }
  return { kind: 'receiver', ...head, file, limits: limits(v.limits, at.key('limits')), reads: steps, expect: { messages, fatal } };
}

function senderVector(v: Record<string, unknown>, at: At, file: string): SenderVector {
  object(v, at, ['name', 'description', 'rule', 'sendmsg', 'messages', 'expect']);
  const head = common(v, at);
  const s = object(v.sendmsg, at.key('sendmsg'), ['fdLimit', 'startBatch']);
  const fdLimit = integer(s.fdLimit, at.key('sendmsg').key('fdLimit'), 1);
  const startBatch = integer(s.startBatch, at.key('sendmsg').key('startBatch'), 1);

  let total = 0;
  const messages = array(v.messages, at.key('messages'), true).map((m, i) => {
    const here = at.key('messages').index(i);
    const o = object(m, here, ['json', 'fds']);
    const json = jsonValue(o.json, here.key('json'));
    if (!isObject(json)) here.key('json').fail('a message to send must be a JSON object');
    const fds = integer(o.fds, here.key('fds'), 0);
    total += fds;
    return { json: json as JsonObject, fds };
  });

  const expectAt = at.key('expect');
  const e = object(v.expect, expectAt, ['sends']);
  let sent = 0;
  const sends: ExpectedSend[] = array(e.sends, expectAt.key('sends'), true).map((x, i) => {
    const here = expectAt.key('sends').index(i);
    const o = object(x, here, ['fds'], ['json', 'utf8', 'hex']);
    const fds = integer(o.fds, here.key('fds'), 0);
    if (fds > fdLimit) here.key('fds').fail(`a sendmsg cannot carry more than fdLimit (${fdLimit}) fds`);
    sent += fds;
    if (Object.hasOwn(o, 'json')) {
      if (Object.hasOwn(o, 'utf8') || Object.hasOwn(o, 'hex')) here.fail('"json" excludes "utf8" and "hex"');
      return { kind: 'json', json: jsonValue(o.json, here.key('json')), fds };
    }
    return { kind: 'bytes', bytes: payload(o, here), fds };
  });
  if (sent !== total) expectAt.key('sends').fail(`the sends carry ${sent} fds but the messages have ${total}`);
  return { kind: 'sender', ...head, file, sendmsg: { fdLimit, startBatch }, messages, expect: { sends } };
}

/** Checks a parsed vector file (see spec/vectors/README.md) and returns its vectors. */
export function validateVectorFile(data: unknown, file: string): Vector[] {
  const root = new At(file, '$');
  const o = object(data, root, ['kind', 'vectors'], ['$schema']);
  if (o.kind !== 'receiver' && o.kind !== 'sender') root.key('kind').fail('must be "receiver" or "sender"');
  const kind = o.kind;
  return array(o.vectors, root.key('vectors'), true).map((v, i) => {
    const at = root.key('vectors').index(i);
    if (!isObject(v)) return at.fail('must be an object');
    return kind === 'receiver' ? receiverVector(v, at, file) : senderVector(v, at, file);
  });
}
