"""The zygote: imports numpy, pandas and matplotlib once, then forks one confined worker per session.

It runs as root on the host, outside any sandbox, and never runs user code: each fork joins its session's
cgroup, connects to the host's socket (which becomes the keeper's fd 0 and 1), and confines itself
(confine.py) before the worker code runs. Pages the zygote loaded are shared copy-on-write by every session;
gc.freeze() keeps the collector from writing to them and so copying them.

Requests come as JSON lines on stdin ({"op": "spawn", "id", "plan"}, {"op": "mount", "id", "target", "options"});
replies are JSON lines on stdout.
"""
import gc
import json
import os
import select
import signal
import socket
import sys
import types

HERE = os.getcwd()  # the runtime directory; it is started there (see main)


def load(name):
    """Loads a runtime module under the path it has inside the sandbox, so no host path shows in it."""
    with open(os.path.join(HERE, name + ".py")) as f:
        source = f.read()
    module = types.ModuleType(name)
    module.__file__ = "/opt/assistd/%s.py" % name
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def preload(kernel):
    gc.disable()
    kernel.PRELOADED = (kernel.prepare_matplotlib(),)
    kernel.warm_imports()
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise RuntimeError("the zygote has %d threads after its imports; forking it would be unsafe" % threads)
    gc.freeze()


def after_fork(plan):
    """The child's own state: its environment, fresh random seeds, matplotlib's dirs looked up again."""
    os.environ.clear()
    os.environ.update(plan["env"])
    sys.path[:] = [p for p in sys.path if p != HERE]
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        for name in ("get_configdir", "get_cachedir"):
            found = getattr(matplotlib, name)
            setattr(matplotlib, name, matplotlib._logged_cached(name.upper()[4:] + "=%s", found.__wrapped__))
    gc.enable()


def child(request, seccomp, confine, worker):
    """In the fork: never returns. Failures before the worker starts are reported on the session's socket."""
    plan = request["plan"]
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = None
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(plan["socket"])
        fd = sock.detach()
        os.write(fd, request["id"].encode())
        pid = str(os.getpid())
        for path in plan["procsFiles"]:
            with open(path, "w") as f:
                f.write(pid)
        devnull = os.open("/dev/null", os.O_RDWR)
        for target in (0, 1):
            os.dup2(fd, target)
        os.dup2(devnull, 2)
        os.closerange(3, 65536)
        fd = 1
        after_fork(plan)
        confine.enter(plan, seccomp, keep_fds=[0, 1])
        worker.CONFIG.clear()
        worker.CONFIG.update(plan["config"])
        worker.main()
    except BaseException as exc:
        if fd is not None:
            try:
                worker.write_frame(fd, {"type": "crash", "id": None, "reason": "the session could not be set up: %s" % exc, "logs": ""})
            except OSError:
                pass
    os._exit(1)


def reap():
    """Collects exited forks and says which: one that died before connecting is a failed start, not a slow one."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reply({"type": "exited", "pid": pid})


def main():
    # Started in the runtime directory and compiled under its sandbox path, so no host path is in the command
    # line, the environment block or the code objects every fork inherits (and its code may read them).
    os.environ["MPLCONFIGDIR"] = os.path.join(HERE, "mpl")
    confine = load("confine")
    worker = load("worker")
    kernel = load("kernel")
    with open(os.path.join(HERE, "seccomp.bpf"), "rb") as f:
        seccomp = f.read()
    os.chdir("/")
    confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
    preload(kernel)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    reply({"type": "ready"})
    pending = b""
    while True:
        ready, _, _ = select.select([0, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
            reap()
        if 0 not in ready:
            continue
        chunk = os.read(0, 1 << 16)
        if not chunk:
            return
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            request = json.loads(line)
            if request["op"] == "mount":
                mount_tmpfs(request, confine)
            else:
                spawn(request, seccomp, confine, worker)


def mount_tmpfs(request, confine):
    """A session's tmpfs, mounted on the host here rather than by running mount(8) for each session."""
    try:
        confine.mount("tmpfs", request["target"], "tmpfs", confine.MS_NOSUID | confine.MS_NODEV, request["options"])
    except confine.ConfineError as exc:
        reply({"type": "failed", "id": request["id"], "reason": str(exc)})
        return
    reply({"type": "done", "id": request["id"]})


def spawn(request, seccomp, confine, worker):
    try:
        pid = os.fork()
    except OSError as exc:
        reply({"type": "failed", "id": request["id"], "reason": str(exc)})
        return
    if pid == 0:
        child(request, seccomp, confine, worker)
    reply({"type": "spawned", "id": request["id"], "pid": pid})


if __name__ == "__main__":
    main()
