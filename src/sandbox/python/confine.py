"""Confines a process forked from the zygote the way bubblewrap confines a fresh one.

`enter(plan)` runs in the forked child while it is still root on the host and in the session's cgroup. It drops
to the session's uid, makes a user namespace that maps that uid alone (so uid 0 does not exist inside), with new
mount, pid, network, IPC, UTS and cgroup namespaces, and forks once more: the grandchild is pid 1 of the new pid
namespace. It builds the session's root on a tmpfs from the plan's mount list, pivots into it, brings up loopback,
drops every capability and loads the seccomp program. The intermediate process waits for it and exits with it,
so killing the intermediate (from the host) takes the whole pid namespace down.
"""
import ctypes
import fcntl
import os
import signal
import socket
import struct

libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}

# statvfs flag bits, and the mount flags a bind's read-only remount must keep (locked in a user namespace).
ST_TO_MS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC, os.ST_NOATIME: MS_NOATIME,
            os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}

DEV_NODES = ["null", "zero", "full", "random", "urandom", "tty"]
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "core": "/proc/kcore", "ptmx": "pts/ptmx"}


class ConfineError(Exception):
    pass


def check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise ConfineError("%s: %s" % (what, os.strerror(err)))


def prctl(option, a=0, b=0, c=0, d=0):
    return libc.prctl(option, ctypes.c_ulong(a), ctypes.c_ulong(b), ctypes.c_ulong(c), ctypes.c_ulong(d))


def mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s
    rc = libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    check(rc, "mount %s on %s" % (source or fstype, target))


def write_file(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def drop_to(uid):
    """Root on the host becomes the session's uid, then root of a user namespace where only that uid exists."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    prctl(PR_SET_DUMPABLE, 1)  # leaving root made us undumpable, and /proc/self/uid_map root's
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    check(libc.unshare(flags), "unshare")
    write_file("/proc/self/uid_map", "%d %d 1\n" % (uid, uid))
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/gid_map", "%d %d 1\n" % (uid, uid))


def bind(source, target, readonly, optional=False):
    if not os.path.lexists(source):
        if optional:
            return
        raise ConfineError("mount source %s is missing" % source)
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    mount(source, target, None, MS_BIND | MS_REC)
    if readonly:
        remount_readonly(target)


def remount_readonly(target):
    kept = 0
    flags = os.statvfs(target).f_flag
    for st, ms in ST_TO_MS.items():
        if flags & st:
            kept |= ms
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def make_dev(root):
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for name in DEV_NODES:
        bind("/dev/" + name, dev + "/" + name, readonly=False, optional=True)
    for name, target in DEV_LINKS.items():
        os.symlink(target, dev + "/" + name)
    os.makedirs(dev + "/shm")
    os.makedirs(dev + "/pts")
    try:
        mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    except ConfineError:
        pass  # no pseudo-terminals: nothing a session needs depends on them


def build_root(root, plan):
    """Mounts the plan's entries under `root`, a fresh tmpfs that becomes /."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for entry in plan["mounts"]:
        kind, target = entry["kind"], root + entry["target"]
        if kind == "bind":
            bind(entry["source"], target, entry.get("readonly", False), entry.get("optional", False))
        elif kind == "symlink":
            os.symlink(entry["source"], target)
        elif kind == "proc":
            os.makedirs(target, exist_ok=True)
            mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        elif kind == "dev":
            make_dev(root)
        elif kind == "readonly":
            remount_readonly(target)
        else:
            raise ConfineError("unknown mount kind %s" % kind)


def pivot(root):
    os.chdir(root)
    arch = os.uname().machine
    check(libc.syscall(SYS_PIVOT_ROOT[arch], b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "detaching the old root")
    os.chdir("/")


def loopback_up():
    """A new network namespace has a loopback device that is down; up, it answers 127.0.0.1 (refusing)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        SIOCSIFFLAGS = 0x8914
        IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x1, 0x8, 0x40
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))
    finally:
        sock.close()


def drop_capabilities():
    check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
    cap = 0
    while prctl(PR_CAPBSET_DROP, cap) == 0:
        cap += 1
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two zeroed __user_cap_data_struct
    check(libc.syscall(SYS_CAPSET[os.uname().machine], ctypes.c_char_p(header), data), "capset")


def load_seccomp(program):
    """The same BPF program bubblewrap loads with --seccomp: a deny list of namespace, mount and tracing calls."""
    if not program or len(program) % 8:
        raise ConfineError("no seccomp program")

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    check(libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(prog), 0, 0), "seccomp")


def enter(plan, seccomp_program, keep_fds):
    """In the forked child (root, already in the session's cgroup). Returns only in the confined grandchild."""
    drop_to(plan["uid"])
    pid = os.fork()
    if pid:
        for fd in keep_fds:
            os.close(fd)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    # pid 1 of the new namespace dies with the intermediate, which the host kills to end the session. Neither
    # dies with the zygote: sessions outlive a zygote that crashed. When the server dies, the keeper reads the end
    # of its socket and exits.
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    build_root(plan["root"], plan)
    pivot(plan["root"])
    libc.sethostname(b"sandbox", 7)
    loopback_up()
    try:
        write_file("/proc/sys/user/max_user_namespaces", "0")  # as bwrap's --disable-userns; seccomp refuses it too
    except OSError:
        pass
    os.chdir(plan.get("chdir", "/"))
    drop_capabilities()
    load_seccomp(seccomp_program)
