"""The kernel: the sandbox process that runs the user's code, keeping its globals between calls like notebook cells.

Figures are rendered with matplotlib's Agg backend: `plt.show()` and any figure still open when a call ends
come back as PNG bytes and are closed, so every call starts with no figures.
"""
import ast
import base64
import builtins
import io
import linecache
import os
import shutil
import sys
import traceback

MAX_IMAGES = 32
FONT_CACHE = "/opt/assistd/mpl"
# Set by the zygote, which prepares matplotlib and imports the libraries once for all its forks: (pyplot or None,).
PRELOADED = None


def prepare_matplotlib():
    config = os.environ.get("MPLCONFIGDIR")
    if config and os.path.isdir(FONT_CACHE):
        # Matplotlib insists on a writable config dir; seeding it with the prebuilt font list spares each
        # session the font scan that would otherwise make its first chart take seconds.
        os.makedirs(config, exist_ok=True)
        for name in os.listdir(FONT_CACHE):
            shutil.copyfile(os.path.join(FONT_CACHE, name), os.path.join(config, name))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.switch_backend("Agg")  # resolve the backend now, so pyplot never rewires show() later
    except Exception:
        return None
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "savefig.bbox": "tight"})
    return plt


def warm_imports():
    for name in ("numpy", "pandas"):
        try:
            __import__(name)
        except Exception:
            pass  # a missing library surfaces as an ImportError in the user's own code instead


def describe(exc):
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell "):
        tb = tb.tb_next  # our own frames are noise to the reader
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return {"name": type(exc).__name__, "message": str(exc), "traceback": text}


def reap_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Kernel:
    def __init__(self, plt):
        self.plt = plt
        self.globals = {"__name__": "__main__", "__builtins__": builtins}
        self.images = []
        self.count = 0
        if plt is not None:

            def show(*args, **kwargs):
                self.capture()

            plt.show = show

    def capture(self):
        plt = self.plt
        if plt is None:
            return
        for num in plt.get_fignums():
            if len(self.images) >= MAX_IMAGES:
                break
            buf = io.BytesIO()
            try:
                plt.figure(num).savefig(buf, format="png")
            except Exception as exc:
                print("could not render figure %s: %s" % (num, exc), file=sys.stderr)
            else:
                self.images.append(base64.b64encode(buf.getvalue()).decode("ascii"))
        plt.close("all")

    def execute(self, code, filename):
        tree = ast.parse(code, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), self.globals)
        if last is not None:
            value = eval(compile(last, filename, "eval"), self.globals)
            if value is not None:
                self.globals["_"] = value
                print(repr(value))

    def run(self, code):
        self.count += 1
        filename = "<cell %d>" % self.count
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        self.images = []
        error = None
        try:
            self.execute(code, filename)
        except BaseException as exc:  # whatever the user's code raised is the call's result
            error = describe(exc)
        try:
            self.capture()
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException as exc:
            error = error or describe(exc)
        return {"type": "result", "images": self.images, "error": error}


def main(cmd_fd, res_fd, write_frame, read_frame):
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [""] + [p for p in sys.path if p and p != here]
    sys.argv = [""]
    os.chdir("/mnt/data")
    kernel = Kernel(PRELOADED[0] if PRELOADED else prepare_matplotlib())
    if not PRELOADED:
        warm_imports()
    write_frame(res_fd, {"type": "ready"})
    while True:
        try:
            request = read_frame(cmd_fd)
        except KeyboardInterrupt:
            continue  # a late interrupt; the host restarts this worker after any timeout anyway
        if request is None:
            return
        reap_children()
        write_frame(res_fd, kernel.run(str(request.get("code", ""))))
