import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/jsonrpc/message.js';

describe('classifyMessage', () => {
  it('reads a request with named params and an integer id', () => {
    expect(classifyMessage({ jsonrpc: '2.0', method: 'm', params: { a: 1 }, id: 7 })).toEqual({
      kind: 'call',
      id: 7,
      method: 'm',
      params: { a: 1 },
    });
  });

  it('reads a notification (no id) and keeps a null id as a request', () => {
    expect(classifyMessage({ jsonrpc: '2.0', method: 'n', params: [1] })).toMatchObject({ kind: 'call', id: undefined });
    expect(classifyMessage({ jsonrpc: '2.0', method: 'n', id: null })).toMatchObject({ kind: 'call', id: null });
  });

  it('rejects a batch array with id null', () => {
    expect(classifyMessage([{ jsonrpc: '2.0', method: 'm', id: 1 }])).toMatchObject({ kind: 'invalid', id: null });
  });

  it('rejects a wrong jsonrpc version, keeping a usable id', () => {
    expect(classifyMessage({ jsonrpc: '1.0', method: 'm', id: 'a' })).toMatchObject({ kind: 'invalid', id: 'a' });
    expect(classifyMessage({ method: 'm', id: 3 })).toMatchObject({ kind: 'invalid', id: 3 });
  });

  it('rejects a non-string method and answers it even without an id', () => {
    expect(classifyMessage({ jsonrpc: '2.0', method: 1, params: 'bar' })).toMatchObject({ kind: 'invalid', id: null });
  });

  it('rejects scalar and null params', () => {
    expect(classifyMessage({ jsonrpc: '2.0', method: 'm', params: 'x', id: 1 })).toMatchObject({ kind: 'invalid', id: 1 });
    expect(classifyMessage({ jsonrpc: '2.0', method: 'm', params: null, id: 1 })).toMatchObject({ kind: 'invalid', id: 1 });
  });

  it('answers an unusable id with id null', () => {
    expect(classifyMessage({ jsonrpc: '2.0', method: 'm', id: { x: 1 } })).toMatchObject({ kind: 'invalid', id: null });
  });

  it('reads results (null included) and errors', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: null })).toEqual({ kind: 'result', id: 1, result: null });
    expect(classifyMessage({ jsonrpc: '2.0', id: 2, error: { code: 1, message: 'x' } })).toMatchObject({ kind: 'error', id: 2 });
  });

  it('marks responses with both result and error, or no id, as bad responses', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: 1, error: {} })).toMatchObject({ kind: 'bad-response', id: 1 });
    expect(classifyMessage({ jsonrpc: '2.0', result: 1 })).toMatchObject({ kind: 'bad-response', id: null });
  });

  it('rejects objects that are neither request nor response', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 4 })).toMatchObject({ kind: 'invalid', id: 4 });
    expect(classifyMessage(42)).toMatchObject({ kind: 'invalid', id: null });
  });
});
