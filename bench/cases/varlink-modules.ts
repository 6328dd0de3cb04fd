import type { OursModules } from '../ours-modules.js';

/** The Varlink parts of our library, loaded from where `ours` came from so that classes (Fd) match. */
export interface VarlinkModules {
  readonly client: typeof import('../../src/varlink/varlink-client.js');
  readonly service: typeof import('../../src/varlink/varlink-service.js');
  readonly upgrade: typeof import('../../src/varlink/fdpass-upgrade-service.js');
  readonly withFds: typeof import('../../src/jsonrpc/with-fds.js');
}

/**
 * Loads the Varlink modules next to `ours`: from bench/.build/dist/ (compiled by `compileOurs`, which
 * builds all of src/) or from src/ through tsx.
 */
export async function loadVarlinkModules(ours: OursModules): Promise<VarlinkModules> {
  const base = ours.from === 'dist' ? new URL('../.build/dist/', import.meta.url) : new URL('../../src/', import.meta.url);
  const load = (path: string): Promise<unknown> => import(new URL(path, base).href);
  return {
    client: (await load('varlink/varlink-client.js')) as VarlinkModules['client'],
    service: (await load('varlink/varlink-service.js')) as VarlinkModules['service'],
    upgrade: (await load('varlink/fdpass-upgrade-service.js')) as VarlinkModules['upgrade'],
    withFds: (await load('jsonrpc/with-fds.js')) as VarlinkModules['withFds'],
  };
}
