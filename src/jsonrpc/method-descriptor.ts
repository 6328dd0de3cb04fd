import { InvalidArgumentError } from '../transport/system-error.js';

/**
 * A method name that carries its parameter and result types, so that {@link JsonRpcPeer.request} and
 * {@link JsonRpcPeer.handle} agree on them at compile time. Nothing is checked at run time: the peer on
 * the other end may send anything, so handlers that face untrusted peers should validate `params`.
 */
export interface MethodDescriptor<P, R> {
  readonly name: string;
  /** Type-level only; always undefined at run time. */
  readonly types?: { readonly params: P; readonly result: R };
}

/**
 * Declares a typed method.
 *
 * @example
 * const add = defineMethod<[number, number], number>('add');
 * server.handle(add, ([a, b]) => a + b);
 * const { result } = await client.request(add, [1, 2]); // result: number
 */
export function defineMethod<P = unknown, R = unknown>(name: string): MethodDescriptor<P, R> {
  if (typeof name !== 'string') throw new InvalidArgumentError('method name must be a string');
  return Object.freeze({ name });
}
