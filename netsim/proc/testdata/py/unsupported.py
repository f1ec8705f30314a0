# Tries one feature netsim exec refuses (argv[1]) and prints the error:
# "refused: TYPE: MESSAGE". Exit status 3 if the feature ran.
import os, socket, sys

what = sys.argv[1]
try:
    if what == "thread":
        import threading
        threading.Thread(target=print).start()
    elif what == "threadingserver":
        import socketserver
        class H(socketserver.BaseRequestHandler):
            def handle(self):
                pass
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 8000), H)
        srv.process_request(None, None)
    elif what == "fork":
        os.fork()
    elif what == "subprocess":
        import subprocess
        subprocess.run(["true"])
    elif what == "system":
        os.system("true")
    elif what == "exec":
        os.execv("/bin/true", ["true"])
    elif what == "select":
        import select
        s = socket.socket()
        select.select([s], [], [], 1)
    elif what == "selectors":
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(socket.socket(), selectors.EVENT_READ)
    elif what == "asyncio":
        import asyncio
        asyncio.run(asyncio.sleep(1))
    elif what == "nonblocking":
        socket.socket().setblocking(False)
    elif what == "_socket":
        import _socket
        _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    elif what == "fromfd":
        socket.fromfd(0, socket.AF_INET, socket.SOCK_STREAM)
    elif what == "raw":
        socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)
    elif what == "packet":
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    elif what == "libc":
        # A C extension's own socket: the seccomp filter refuses it.
        import ctypes, ctypes.util
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(2, 1, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    elif what == "unix":
        # AF_UNIX stays the kernel's: allowed.
        a, b = socket.socketpair()
        a.sendall(b"x")
        print("unix ok", b.recv(1))
        sys.exit(0)
    else:
        raise SystemExit("unknown feature " + what)
except BaseException as e:
    if isinstance(e, SystemExit):
        raise
    print("refused: %s: %s" % (type(e).__name__, e))
    sys.exit(0)
print("ran", what)
sys.exit(3)
