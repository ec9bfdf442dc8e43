import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process whose stdout and stderr lines are collected and can be waited for. */
export interface WatchedProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first line (existing from index `from` on, or future) of the stream that matches; rejects after timeoutMs. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number, from?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** With `stdin: 'pipe'` the test writes to child.stdin; otherwise the child's stdin is /dev/null. */
export function watchProcess(command: string, args: string[], env: NodeJS.ProcessEnv, options: { stdin?: 'pipe' | 'ignore' } = {}): WatchedProcess {
  const child = spawn(command, args, { env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters: { stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      lines[stream].push(line);
      for (const waiter of [...waiters]) {
        if (waiter.stream === stream && waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ...lines,
    exited,
    waitFor(stream, pattern, timeoutMs, from = 0) {
      const seen = lines[stream].slice(from).find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no ${stream} line matched ${pattern} within ${timeoutMs} ms; ${stream} so far:\n${lines[stream].join('\n')}`));
        }, timeoutMs);
        const waiter = {
          stream,
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
      });
    },
  };
}

/**
 * Starts the built relay (`dist/src/cli.js`) with `configFile`, as often as a test asks; whatever
 * is still running when the test ends is SIGKILLed.
 */
export function relayProcesses(t: { teardown: (fn: () => void) => void }, configFile: string): () => WatchedProcess {
  const children: WatchedProcess[] = [];
  t.teardown(() => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return () => {
    const relay = watchProcess(process.execPath, ['dist/src/cli.js', '--config', configFile], { PATH: process.env.PATH });
    children.push(relay);
    return relay;
  };
}
