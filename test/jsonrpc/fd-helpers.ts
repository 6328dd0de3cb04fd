// The fd helpers live in test/support; kept for test/integration/worker-threads.test.ts, which imports them from here.
export { expectFdCount, openFdCount } from '../support/fd-count.js';
export { fdText, inode, textFd } from '../support/fd-files.js';
