"""Writes the sandbox's seccomp program (raw BPF, as bwrap --seccomp expects) to stdout.

It is a deny list on top of bubblewrap's namespaces: everything a Python user legitimately needs stays allowed,
while the syscalls that widen the attack surface (new namespaces, mounts, tracing, kernel keyrings, BPF,
module loading, io_uring) fail with EPERM, so an escape attempt gets an error instead of a kernel code path.
"""
import errno
import sys

try:
    import seccomp
except ImportError:
    sys.stderr.write("python3-seccomp is missing: apt-get install python3-seccomp\n")
    sys.exit(3)

DENIED = [
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "keyctl", "add_key", "request_key",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm", "uselib", "nfsservctl",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
]

# clone's flags are a plain register, so namespace creation can be refused bit by bit.
NAMESPACE_FLAGS = [
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
]

TIOCSTI = 0x5412  # pushing bytes into a terminal's input queue
TIOCLINUX = 0x541C


def build():
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except (RuntimeError, ValueError):
            pass  # a syscall this kernel/arch does not know cannot be called either
    for flag in NAMESPACE_FLAGS:
        f.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory where seccomp cannot look; ENOSYS makes libc fall back to clone.
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for request in (TIOCSTI, TIOCLINUX):
        f.add_rule(deny, "ioctl", seccomp.Arg(1, seccomp.EQ, request))
    return f


if __name__ == "__main__":
    sys.stdout.flush()
    build().export_bpf(sys.stdout)
