import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { runsAs } from './proc-scan.js';

const STDERR_TAIL = 4096;

/** The byte stream to one sandboxed worker's keeper, and the handle that kills it, however it was started. */
export interface WorkerChannel {
  write(frame: Buffer): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once, when the worker is gone, with a sentence saying how it ended. */
  onExit(listener: (reason: string) => void): void;
  /** Settles once every pipe to the worker is closed. */
  readonly closed: Promise<void>;
  kill(): void;
}

/** A worker spawned as its own bubblewrap process: its stdin and stdout, its exit status and stderr tail. */
export function childChannel(child: ChildProcessWithoutNullStreams): WorkerChannel {
  let stderrTail = '';
  let startError = '';
  child.once('error', (err) => {
    startError = `the sandbox could not start: ${err.message}`;
  });
  child.stdin.on('error', () => undefined); // EPIPE once the worker is gone; 'exit' reports that
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  return {
    write: (frame) => void child.stdin.write(frame),
    onData: (listener) => void child.stdout.on('data', listener),
    onExit: (listener) => {
      child.once('exit', (code, signal) => listener(startError || `the sandbox exited (${signal ?? `status ${code}`})${stderrTail ? `: ${stderrTail.trim()}` : ''}`));
    },
    closed: new Promise((resolve) => child.once('close', () => resolve())),
    kill: () => void child.kill('SIGKILL'),
  };
}

/**
 * A worker forked by the zygote: the socket its keeper holds as fd 0 and 1, and the host pid of the process
 * outside its pid namespace (killing that one takes the namespace down). The pid is only signalled while it
 * still runs as the session's uid, so a pid reused by anything else is never hit.
 */
export function socketChannel(socket: Socket, pid: number, uid: number): WorkerChannel {
  socket.on('error', () => undefined); // a reset when the worker dies; 'close' reports that
  return {
    write: (frame) => void socket.write(frame),
    onData: (listener) => void socket.on('data', listener).resume(),
    onExit: (listener) => void socket.once('close', () => listener('the sandbox exited')),
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
    kill: () => {
      if (runsAs(pid, uid)) process.kill(pid, 'SIGKILL');
      socket.destroy();
    },
  };
}
