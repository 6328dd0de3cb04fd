import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A benchmark server running in a child process (for the two-process cases). */
export interface ChildServer {
  /** Stops the child (it exits when its stdin closes) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts `bench/servers/<script>` under tsx with `args`, and resolves once it printed `ready`
 * (it is listening). The child exits when its stdin closes, so it never outlives the bench.
 */
export async function startChildServer(script: string, args: readonly string[]): Promise<ChildServer> {
  const file = fileURLToPath(new URL(`./servers/${script}`, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      out += text;
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)} before ready`)));
  });
  return {
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}

/** For server scripts: exit once the parent closes our stdin (or dies). */
export function exitWithParent(cleanup: () => void): void {
  process.stdin.resume();
  process.stdin.on('end', () => {
    cleanup();
    process.exit(0);
  });
}
