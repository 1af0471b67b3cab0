"""assistd sandbox worker: runs inside bubblewrap as the session's unprivileged uid.

Two processes. The keeper (this file's main) owns the pipes to the host (fd 0 in, fd 1 out), forks the
kernel, then makes itself non-dumpable so the kernel cannot reach those pipes through /proc. The kernel runs
the user's code with fd 1 and 2 on an output pipe the keeper drains and caps, and answers over a pipe of its
own. Whatever the kernel says is untrusted: the keeper validates it and reports a crash when it misbehaves.

Frames are a 4-byte big-endian length followed by UTF-8 JSON, in both directions.
"""
import json
import os
import select
import signal
import struct
import sys

MAX_FRAME = 96 * 1024 * 1024
MAX_IMAGES = 32
MAX_TEXT = 16 * 1024
CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    header = read_exact(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    if length > MAX_FRAME:
        raise ValueError("frame too large")
    payload = read_exact(fd, length)
    if payload is None:
        return None
    return json.loads(payload)


def write_frame(fd, obj):
    payload = json.dumps(obj).encode()
    view = memoryview(struct.pack(">I", len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def libc_prctl(option, value):
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


# ----------------------------------------------------------------------------------------------- keeper


def set_limits():
    import resource

    limits = {
        resource.RLIMIT_AS: CONFIG.get("memoryBytes"),
        resource.RLIMIT_FSIZE: CONFIG.get("fileSizeBytes"),
        resource.RLIMIT_NPROC: CONFIG.get("maxProcesses"),
        resource.RLIMIT_NOFILE: CONFIG.get("maxOpenFiles"),
        resource.RLIMIT_CORE: 0,
    }
    for kind, value in limits.items():
        if value is not None:
            resource.setrlimit(kind, (value, value))


class Keeper:
    def __init__(self, kernel_pid, to_kernel, from_kernel, output):
        self.kernel_pid = kernel_pid
        self.to_kernel = to_kernel
        self.from_kernel = from_kernel
        self.output = output
        self.cap = int(CONFIG.get("maxOutputBytes", 256 * 1024))
        self.running = None
        self.buffer = bytearray()
        self.dropped = 0

    def collect(self, data):
        if self.running is None:
            return  # stray writes between calls belong to no one
        room = self.cap - len(self.buffer)
        if room > 0:
            self.buffer += data[:room]
        self.dropped += max(0, len(data) - max(room, 0))

    def read_output(self):
        """Collects what the output pipe holds; False once every writer has closed it."""
        try:
            data = os.read(self.output, 65536)
        except BlockingIOError:
            return True
        self.collect(data)
        return bool(data)

    def drain(self):
        """Collects everything written before now: a reply from the kernel means its output is already in the pipe."""
        while True:
            try:
                data = os.read(self.output, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            self.collect(data)

    def take_logs(self):
        text = self.buffer.decode("utf-8", errors="replace")
        if self.dropped:
            text += "\n[output truncated: %d more bytes were not shown]\n" % self.dropped
        self.buffer = bytearray()
        self.dropped = 0
        return text

    def kill_strays(self):
        """Kills every process in the sandbox but us, the kernel and bwrap's init: nothing outlives a call.

        It waits until they are really gone (a killed process still needs CPU time to exit), so the next call
        never sees one, but gives up after two seconds: the host kills the whole sandbox if something is stuck.
        """
        import time

        keep = {1, os.getpid(), self.kernel_pid}
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            alive = 0
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in keep:
                    continue
                try:
                    with open("/proc/%s/stat" % name) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if fields[0] in ("Z", "X"):
                        # The kernel reaps its own children before the next call; anything else dead is
                        # reaped by the namespace's init in a moment (us, when forked by the zygote), and the
                        # next call must not see it either.
                        if int(fields[1]) == os.getpid():
                            os.waitpid(int(name), os.WNOHANG)
                        elif int(fields[1]) != self.kernel_pid:
                            alive += 1
                        continue
                    os.kill(int(name), signal.SIGKILL)
                    alive += 1
                except (OSError, IndexError):
                    pass
            if not alive:
                return
            time.sleep(0.002)

    def on_host(self):
        frame = read_frame(0)
        if frame is None:
            self.shutdown(0)
        op = frame.get("op")
        if op == "exec" and self.running is None:
            self.drain()
            self.running = frame.get("id")
            write_frame(self.to_kernel, {"op": "exec", "code": str(frame.get("code", ""))})
        elif op == "interrupt":
            if self.running is not None:
                os.kill(self.kernel_pid, signal.SIGINT)
        else:
            self.crash("protocol error from host")

    def on_kernel(self):
        try:
            frame = read_frame(self.from_kernel)
        except (ValueError, UnicodeDecodeError):
            frame = "garbage"
        if frame is None:
            self.crash(self.kernel_exit_reason())
        if not isinstance(frame, dict):
            self.crash("the Python process wrote an invalid message")
        kind = frame.get("type")
        if kind == "ready":
            write_frame(1, {"type": "ready"})
        elif kind == "result" and self.running is not None:
            self.finish(frame)
        else:
            self.crash("the Python process wrote an unexpected message")

    def finish(self, frame):
        self.drain()
        self.kill_strays()
        images = [i for i in frame.get("images") or [] if isinstance(i, str)][:MAX_IMAGES]
        error = frame.get("error")
        if isinstance(error, dict):
            error = {k: str(error.get(k, ""))[:MAX_TEXT] for k in ("name", "message", "traceback")}
        else:
            error = None
        result = {"type": "result", "id": self.running, "logs": self.take_logs(), "images": images, "error": error}
        self.running = None
        write_frame(1, result)

    def kernel_exit_reason(self):
        import time

        status = None
        for _ in range(40):  # user code can close the channel without exiting; do not wait on it forever
            try:
                pid, status = os.waitpid(self.kernel_pid, os.WNOHANG)
            except ChildProcessError:
                return "the Python process ended"
            if pid:
                break
            status = None
            time.sleep(0.025)
        if status is None:
            return "the Python process closed its result channel"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = "signal %d" % sig
            hint = " (likely out of memory)" if sig == signal.SIGKILL else ""
            return "the Python process was killed by %s%s" % (name, hint)
        return "the Python process exited with status %d" % os.WEXITSTATUS(status)

    def crash(self, reason):
        try:
            os.kill(self.kernel_pid, signal.SIGKILL)
        except OSError:
            pass
        self.drain()
        self.kill_strays()
        write_frame(1, {"type": "crash", "id": self.running, "reason": reason, "logs": self.take_logs()})
        self.shutdown(1)

    def shutdown(self, code):
        try:
            os.kill(self.kernel_pid, signal.SIGKILL)
        except OSError:
            pass
        os._exit(code)

    def loop(self):
        os.set_blocking(self.output, False)
        watched = [0, self.from_kernel, self.output]
        while True:
            ready, _, _ = select.select(watched, [], [])
            if self.output in ready and not self.read_output():
                watched.remove(self.output)
            if self.from_kernel in ready:
                self.on_kernel()
            if 0 in ready:
                self.on_host()


def main():
    os.closerange(3, 65536)  # nothing from bwrap (the seccomp fd) may reach the kernel
    set_limits()
    to_kernel_r, to_kernel_w = os.pipe()
    from_kernel_r, from_kernel_w = os.pipe()
    output_r, output_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        for fd in (devnull, output_w, output_r, to_kernel_w, from_kernel_r):
            os.close(fd)
        libc_prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        import kernel

        kernel.main(to_kernel_r, from_kernel_w, write_frame, read_frame)
        os._exit(0)
    for fd in (to_kernel_r, from_kernel_w, output_w):
        os.close(fd)
    libc_prctl(PR_SET_DUMPABLE, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Keeper(pid, to_kernel_w, from_kernel_r, output_r).loop()


if __name__ == "__main__":
    main()
