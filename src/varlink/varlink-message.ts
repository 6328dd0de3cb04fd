/**
 * The Varlink message envelopes (UAPI.20 "Call" and "Reply") and their strict checks. A message that
 * fails them has no well-defined answer: the receiver closes the connection.
 */

/** Parameters of a call or reply: a JSON object. */
export type VarlinkParameters = Record<string, unknown>;

/** A call as it travels on the wire. At most one flag is set; false flags are omitted. */
export interface VarlinkCallMessage {
  readonly method: string;
  readonly parameters?: VarlinkParameters;
  readonly oneway?: true;
  readonly more?: true;
  readonly upgrade?: true;
}

/** A checked call. `parameters` is `{}` when the wire had none or `null`. */
export interface VarlinkCall {
  readonly method: string;
  readonly parameters: VarlinkParameters;
  readonly oneway: boolean;
  readonly more: boolean;
  readonly upgrade: boolean;
}

/** A checked reply. `parameters` is `{}` when the wire had none or `null`. */
export interface VarlinkReply {
  readonly parameters: VarlinkParameters;
  readonly continues: boolean;
  /** The fully-qualified error name when the reply is an error. */
  readonly error?: string;
}

/** Keys defined by the protocol; keys containing a `.` are vendor extensions and ignored. */
const CALL_KEYS = new Set(['method', 'parameters', 'oneway', 'more', 'upgrade']);
const REPLY_KEYS = new Set(['parameters', 'continues', 'error']);

/** Builds the wire form of a call, omitting empty parameters and false flags. */
export function callMessage(
  method: string,
  parameters: VarlinkParameters | undefined,
  flag?: 'oneway' | 'more' | 'upgrade',
): VarlinkCallMessage {
  const msg: { method: string; parameters?: VarlinkParameters; oneway?: true; more?: true; upgrade?: true } = {
    method,
  };
  // null is "no parameters" on the wire too (UAPI.20).
  if (parameters !== undefined && parameters !== null && Object.keys(parameters).length > 0) msg.parameters = parameters;
  if (flag !== undefined) msg[flag] = true;
  return msg;
}

/** Builds the wire form of a reply, omitting empty parameters and a false `continues`. */
export function replyMessage(reply: {
  parameters?: VarlinkParameters | undefined;
  continues?: boolean;
  error?: string | undefined;
}): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  if (reply.error !== undefined) msg['error'] = reply.error;
  if (reply.parameters !== undefined && Object.keys(reply.parameters).length > 0) msg['parameters'] = reply.parameters;
  if (reply.continues === true) msg['continues'] = true;
  return msg;
}

/** Why a message is malformed, or the checked call. */
export type CheckResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Checks a call object received by a service (UAPI.20 "Call", "Vendor Extensions"). */
export function checkCall(obj: Readonly<Record<string, unknown>>): CheckResult<VarlinkCall> {
  const unknown = unknownKey(obj, CALL_KEYS);
  if (unknown !== undefined) return { ok: false, reason: `unknown key "${unknown}" in call` };
  const method = obj['method'];
  if (typeof method !== 'string' || method.length === 0) return { ok: false, reason: 'call without a method name' };
  const parameters = checkParameters(obj['parameters']);
  if (parameters === undefined) return { ok: false, reason: 'call parameters are not an object' };
  let flags = 0;
  const flag = (name: string): boolean | undefined => {
    const v = obj[name];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') return undefined;
    if (v) flags++;
    return v;
  };
  const oneway = flag('oneway');
  const more = flag('more');
  const upgrade = flag('upgrade');
  if (oneway === undefined || more === undefined || upgrade === undefined) {
    return { ok: false, reason: 'call flag is not a boolean' };
  }
  if (flags > 1) return { ok: false, reason: 'call sets more than one of oneway, more, upgrade' };
  return { ok: true, value: { method, parameters, oneway, more, upgrade } };
}

/** Checks a reply object received by a client (UAPI.20 "Reply"). */
export function checkReply(obj: Readonly<Record<string, unknown>>): CheckResult<VarlinkReply> {
  const unknown = unknownKey(obj, REPLY_KEYS);
  if (unknown !== undefined) return { ok: false, reason: `unknown key "${unknown}" in reply` };
  const parameters = checkParameters(obj['parameters']);
  if (parameters === undefined) return { ok: false, reason: 'reply parameters are not an object' };
  const continues = obj['continues'];
  if (continues !== undefined && typeof continues !== 'boolean') {
    return { ok: false, reason: 'reply "continues" is not a boolean' };
  }
  const error = obj['error'];
  if (error === undefined || error === null) {
    return { ok: true, value: { parameters, continues: continues === true } };
  }
  if (typeof error !== 'string' || error.length === 0) return { ok: false, reason: 'reply "error" is not a name' };
  if (continues === true) return { ok: false, reason: `error reply ${error} sets "continues"` };
  return { ok: true, value: { parameters, continues: false, error } };
}

function checkParameters(v: unknown): VarlinkParameters | undefined {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  return v as VarlinkParameters;
}

function unknownKey(obj: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): string | undefined {
  for (const key of Object.keys(obj)) {
    // Vendor extension objects are named in reverse-domain form, so they always contain a dot.
    if (!known.has(key) && !key.includes('.')) return key;
  }
  return undefined;
}
