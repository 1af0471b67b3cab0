import { accessSync, constants } from 'node:fs';
import type { SandboxOptions } from './options.js';
import type { SandboxStatus } from './sandbox.js';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks, without spawning anything, that this host can run the sandbox at all. Library problems
 * (python3-seccomp, numpy…) only show when the runtime is prepared and are reported then.
 */
export function checkHost(options: SandboxOptions): SandboxStatus {
  if (process.platform !== 'linux') {
    return { available: false, reason: 'the code sandbox needs Linux (bubblewrap and namespaces)' };
  }
  if (!executable(options.bwrapPath)) {
    return { available: false, reason: `install bubblewrap: apt-get install bubblewrap (${options.bwrapPath} not found)` };
  }
  if (!executable(options.pythonPath)) {
    return {
      available: false,
      reason: `install python3: apt-get install python3 python3-numpy python3-pandas python3-matplotlib (${options.pythonPath} not found)`,
    };
  }
  for (const tool of [options.setprivPath, options.mountPath, options.umountPath]) {
    if (!executable(tool)) return { available: false, reason: `install util-linux: apt-get install util-linux (${tool} not found)` };
  }
  // Each session runs as its own uid on its own size-capped tmpfs: both need root.
  if (process.getuid?.() !== 0) {
    return { available: false, reason: 'the code sandbox must run as root to give each session its own uid and disk quota' };
  }
  return { available: true };
}
