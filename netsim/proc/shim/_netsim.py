# netsim exec's Python shim: the core (netsim.dev/netsim/proc).
#
# Each proxy sends one request frame on the request pipe and blocks until
# netsim replies (the wire protocol is in the Go package's doc). Only the
# process's one thread makes calls, so the order of everything is fixed by
# the simulation.
#
# Extensions: every _netsim_*.py module beside this one is imported after
# install(), in name order; it uses call(), Unsupported, socket,
# after_import() and the hooks below (see the package doc, "Adding a
# request").

import errno as _errno
import json as _json
import os
import struct as _struct
import sys

__all__ = ["call", "Unsupported", "socket", "after_import", "is_shim_socket"]

_W = _R = -1
_HEAD = _struct.Struct(">II")
_MAX_DATA = 16 << 20
_info = {}


class Unsupported(NotImplementedError):
    """A feature netsim exec does not support: raised at its first use,
    never run on the real network."""


def _flush():
    # What the program printed goes before the call: netsim reads it
    # first, so that the outputs of all processes keep the virtual order.
    for f in (sys.stdout, sys.stderr):
        try:
            if f is not None:
                f.flush()
        except Exception:
            pass


def _readn(n):
    b = bytearray()
    while len(b) < n:
        chunk = os.read(_R, n - len(b))
        if not chunk:  # netsim is gone
            os._exit(70)
        b += chunk
    return bytes(b)


def call(op, data=b"", **kw):
    """Send request op with fields kw and data; return (value, data)."""
    _flush()
    kw["op"] = op
    h = _json.dumps(kw, separators=(",", ":")).encode()
    msg = _HEAD.pack(len(h), len(data)) + h + bytes(data)
    view = memoryview(msg)
    while view:
        k = os.write(_W, view)
        view = view[k:]
    hn, dn = _HEAD.unpack(_readn(8))
    rep = _json.loads(_readn(hn))
    d = _readn(dn) if dn else b""
    err = rep.get("err")
    if err:
        _raise(err, rep)
    return rep.get("r"), d


def _raise(kind, rep):
    msg = rep.get("msg", "")
    if kind == "os":
        e = rep.get("errno", _errno.EIO)
        raise OSError(e, os.strerror(e))  # OSError picks the subclass
    if kind == "timeout":
        raise _sm.timeout("timed out")
    if kind == "gai":
        raise _sm.gaierror(rep.get("errno", -2), msg)
    if kind == "unsupported":
        raise Unsupported(msg)
    if kind == "exit":  # the network was torn down: end quietly
        os._exit(70)
    raise OSError(_errno.EIO, msg)


# Hooks run after a module is imported (for modules the program may import
# later: socketserver, asyncio, subprocess).
_after = {}


def after_import(name, fn):
    """Run fn(module) once module name is imported (now if it is)."""
    if name in sys.modules:
        fn(sys.modules[name])
    else:
        _after.setdefault(name, []).append(fn)


class _Finder:
    def find_spec(self, name, path=None, target=None):
        if name not in _after:
            return None
        import importlib.util
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        class _Loader:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                exec_module(module)
                for fn in _after.pop(name, []):
                    fn(module)

        spec.loader = _Loader()
        return spec


def unsupported(what):
    """A function that raises Unsupported(what) when called."""
    def refuse(*args, **kwargs):
        raise Unsupported("netsim exec: " + what)
    return refuse


import socket as _sm  # noqa: E402
import _socket  # noqa: E402

_real_socket = _sm.socket
AF_INET, AF_INET6, AF_UNIX = int(_sm.AF_INET), int(_sm.AF_INET6), int(_sm.AF_UNIX)
_STREAM, _DGRAM = int(_sm.SOCK_STREAM), int(_sm.SOCK_DGRAM)
_FLAGS = getattr(_sm, "SOCK_NONBLOCK", 0) | getattr(_sm, "SOCK_CLOEXEC", 0)


def _is_ip(host, family):
    try:
        _socket.inet_pton(family, host.split("%")[0])
        return True
    except (OSError, ValueError):
        return False


def _nonblocking(sock):
    """Called when a socket is made non-blocking (settimeout(0),
    setblocking(False)); replaced when selectors are supported."""
    raise Unsupported("netsim exec: non-blocking sockets (settimeout(0), setblocking(False)) "
                      "are not supported yet: they come with select/selectors/asyncio")


class socket:
    """socket.socket on the simulated network (AF_UNIX stays real)."""

    def __new__(cls, family=-1, type=-1, proto=-1, fileno=None):
        if family is not None and int(family) == AF_UNIX:
            return _real_socket(family, type, proto, fileno)
        return object.__new__(cls)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is not None:
            raise Unsupported("netsim exec: socket(fileno=...) and socket.fromfd are not supported")
        family = AF_INET if family == -1 else int(family)
        type = _STREAM if type == -1 else int(type)
        if proto == -1:
            proto = 0
        nonblock = type & getattr(_sm, "SOCK_NONBLOCK", 0)
        type &= ~_FLAGS
        self._fd = -1
        self._closed = False
        self._io_refs = 0
        fd, _ = call("socket", family=family, type=type)
        self._init(family, type, proto, fd)
        if nonblock:
            _nonblocking(self)

    def _init(self, family, type, proto, fd):
        self._family, self._type, self._proto, self._fd = family, type, proto, fd
        self._closed = False
        self._io_refs = 0
        self._timeout = _sm.getdefaulttimeout()

    family = property(lambda self: _sm.AddressFamily(self._family))
    type = property(lambda self: _sm.SocketKind(self._type))
    proto = property(lambda self: self._proto)
    timeout = property(lambda self: self._timeout)

    def fileno(self):
        return self._fd

    def _check(self):
        if self._fd < 0:
            raise OSError(_errno.EBADF, os.strerror(_errno.EBADF))

    def _call(self, op, data=b"", **kw):
        self._check()
        if self._timeout is not None:
            kw["timeout"] = self._timeout
        return call(op, data, fd=self._fd, **kw)

    # Addresses.
    def _host(self, host, what):
        if isinstance(host, (bytes, bytearray)):
            host = bytes(host).decode("idna")
        if not isinstance(host, str):
            raise TypeError("%s(): AF_INET address must be tuple, not %s" % (what, type(host).__name__))
        if host == "" or _is_ip(host, self._family):
            return host
        if host == "<broadcast>":
            return "255.255.255.255"
        for a in call("getaddrinfo", host=host)[0]:
            if _is_ip(a, self._family):
                return a
        raise _sm.gaierror(-2, "Name or service not known")

    def _addr_in(self, address, what):
        if not isinstance(address, tuple) or len(address) < 2 or \
                (self._family == AF_INET and len(address) != 2) or len(address) > 4:
            kind = "AF_INET6" if self._family == AF_INET6 else "AF_INET"
            raise TypeError("%s(): %s address must be tuple, not %s" % (what, kind, type(address).__name__))
        host, port = address[0], address[1]
        if not isinstance(port, int):
            raise TypeError("'%s' object cannot be interpreted as an integer" % type(port).__name__)
        if not 0 <= port <= 65535:
            raise OverflowError("%s(): port must be 0-65535." % what)
        return {"host": self._host(host, what), "port": port}

    def _addr_out(self, a):
        if a is None:
            return None
        if not a[0]:
            a = ("::" if self._family == AF_INET6 else "0.0.0.0", a[1])
        if self._family == AF_INET6:
            return (a[0], a[1], 0, 0)
        return (a[0], a[1])

    # The calls.
    def bind(self, address):
        self._call("bind", **self._addr_in(address, "bind"))

    def listen(self, backlog=None):
        if backlog is None:
            backlog = min(_sm.SOMAXCONN, 128)
        self._call("listen", n=max(int(backlog), 0))

    def accept(self):
        (fd, addr), _ = self._call("accept")
        s = socket.__new__(socket)
        s._init(self._family, self._type, self._proto, fd)
        if _sm.getdefaulttimeout() is None and self._timeout:
            s._timeout = None
        return s, self._addr_out(addr)

    def _accept(self):
        s, addr = self.accept()
        return s.detach(), addr

    def connect(self, address):
        self._call("connect", **self._addr_in(address, "connect"))

    def connect_ex(self, address):
        try:
            self.connect(address)
            return 0
        except _sm.timeout:
            return _errno.EAGAIN
        except OSError as e:
            if e.errno is None:
                raise
            return e.errno

    def send(self, data, flags=0):
        data = memoryview(data).cast("B")[:_MAX_DATA]
        k, _ = self._call("send", data, flags=flags)
        return k

    def sendall(self, data, flags=0):
        view = memoryview(data).cast("B")
        while len(view):
            k = self.send(view[:_MAX_DATA], flags)
            view = view[k:]
        return None

    def sendto(self, data, flags_or_addr, addr=None):
        if addr is None:
            flags, addr = 0, flags_or_addr
        else:
            flags = flags_or_addr
        k, _ = self._call("sendto", memoryview(data).cast("B"), flags=flags, **self._addr_in(addr, "sendto"))
        return k

    def recv(self, bufsize, flags=0):
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        _, d = self._call("recv", n=bufsize, flags=flags)
        return d

    def recvfrom(self, bufsize, flags=0):
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        a, d = self._call("recvfrom", n=bufsize, flags=flags)
        if self._type == _STREAM:
            a = None
        return d, self._addr_out(a)

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        d = self.recv(n, flags)
        view[:len(d)] = d
        return len(d)

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        d, a = self.recvfrom(n, flags)
        view[:len(d)] = d
        return len(d), a

    def shutdown(self, how):
        self._call("shutdown", how=int(how))

    def setsockopt(self, level, opt, value, optlen=None):
        if value is None:
            raise Unsupported("netsim exec: setsockopt with optlen is not supported")
        if isinstance(value, int):
            self._call("setsockopt", level=int(level), opt=int(opt), value=int(value))
        else:
            self._call("setsockopt", bytes(value), level=int(level), opt=int(opt))

    def getsockopt(self, level, opt, buflen=None):
        v, _ = self._call("getsockopt", level=int(level), opt=int(opt))
        if buflen:
            return int(v).to_bytes(4, sys.byteorder, signed=True)[:buflen].ljust(buflen, b"\0")
        return v

    def getsockname(self):
        a, _ = self._call("getsockname")
        return self._addr_out(a)

    def getpeername(self):
        a, _ = self._call("getpeername")
        return self._addr_out(a)

    # Timeouts.
    def settimeout(self, value):
        if value is not None:
            value = float(value)
            if value < 0:
                raise ValueError("Timeout value out of range")
            if value == 0:
                _nonblocking(self)
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self.settimeout(None if flag else 0.0)

    def getblocking(self):
        return self._timeout != 0.0

    # Closing, as CPython does it: makefile's objects keep it open.
    def _real_close(self):
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            call("close", fd=fd)

    def close(self):
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _decref_socketios(self):
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def detach(self):
        fd, self._fd = self._fd, -1
        self._closed = True
        return fd

    def dup(self):
        raise Unsupported("netsim exec: socket.dup is not supported")

    def __del__(self):
        try:
            if getattr(self, "_fd", -1) >= 0 and not sys.is_finalizing():
                self._real_close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        if not self._closed:
            self.close()

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % type(self).__name__)

    def __repr__(self):
        s = "<socket.socket%s fd=%i, family=%s, type=%s, proto=%i" % (
            " [closed]" if self._fd < 0 else "", self._fd, self.family, self.type, self._proto)
        if self._fd >= 0:
            try:
                s += ", laddr=%s" % (self.getsockname(),)
                s += ", raddr=%s" % (self.getpeername(),)
            except OSError:
                pass
        return s + ">"

    makefile = _real_socket.makefile
    _check_sendfile_params = _real_socket._check_sendfile_params

    def sendfile(self, file, offset=0, count=None):
        return _real_socket._sendfile_use_send(self, file, offset, count)


def is_shim_socket(obj):
    """Whether obj (a socket, or a descriptor number) is netsim's."""
    if isinstance(obj, socket):
        return True
    if hasattr(obj, "fileno"):
        try:
            obj = obj.fileno()
        except Exception:
            return False
    return isinstance(obj, int) and obj >= 1000 and obj in _FDS


class _FDSet:
    # Descriptors are netsim's from 1000 up: the shim does not track them
    # all, it only tells them from the process's own (below 1000).
    def __contains__(self, fd):
        return fd >= 1000


_FDS = _FDSet()


# Names.
def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("idna")
    if isinstance(port, (bytes, bytearray)):
        port = bytes(port).decode()
    if isinstance(port, str):
        port = int(port) if port.isdigit() else _sm.getservbyname(port)
    elif port is None:
        port = 0
    if host is None:
        passive = flags & _sm.AI_PASSIVE
        addrs = ["0.0.0.0", "::"] if passive else ["127.0.0.1", "::1"]
    else:
        addrs, _ = call("getaddrinfo", host=host)
    family, type = int(family), int(type)
    kinds = [(_STREAM, 6), (_DGRAM, 17), (int(_sm.SOCK_RAW), 0)] if type == 0 else [(type, proto)]
    res = []
    for a in addrs:
        fam = AF_INET6 if ":" in a else AF_INET
        if family not in (0, fam):
            continue
        sa = (a, port, 0, 0) if fam == AF_INET6 else (a, port)
        for t, p in kinds:
            if proto and p and p != proto:
                continue
            res.append((_sm.AddressFamily(fam), _sm.SocketKind(t), proto or p, "", sa))
    if not res:
        raise _sm.gaierror(-2, "Name or service not known")
    return res


def gethostbyname(name):
    for fam, _, _, _, sa in getaddrinfo(name, 0, AF_INET, _STREAM):
        return sa[0]
    raise _sm.gaierror(-2, "Name or service not known")


def gethostbyname_ex(name):
    addrs = [sa[0] for _, _, _, _, sa in getaddrinfo(name, 0, AF_INET, _STREAM)]
    return name, [], addrs


def gethostname():
    return _info.get("host", "localhost")


def getfqdn(name=""):
    return name or gethostname()


def gethostbyaddr(ip):
    return ip, [], [ip]


# The clocks, on virtual time.
_mono0 = 0


def _now_ns():
    t, _ = call("now")
    return t


def _install_time():
    import time
    real = {k: getattr(time, k) for k in ("localtime", "gmtime", "ctime", "strftime", "asctime")}
    time.time_ns = _now_ns
    time.time = lambda: _now_ns() / 1e9
    time.monotonic_ns = time.perf_counter_ns = lambda: _now_ns() - _mono0
    time.monotonic = time.perf_counter = lambda: (_now_ns() - _mono0) / 1e9

    def sleep(secs):
        secs = float(secs)
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        if secs > 0:
            call("sleep", seconds=secs)
    time.sleep = sleep
    time.localtime = lambda secs=None: real["localtime"](time.time() if secs is None else secs)
    time.gmtime = lambda secs=None: real["gmtime"](time.time() if secs is None else secs)
    time.ctime = lambda secs=None: real["ctime"](time.time() if secs is None else secs)
    time.asctime = lambda t=None: real["asctime"](time.localtime() if t is None else t)
    time.strftime = lambda fmt, t=None: real["strftime"](fmt, time.localtime() if t is None else t)

    import datetime as dt

    class datetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls.fromtimestamp(time.time(), tz)

        @classmethod
        def utcnow(cls):
            return cls.utcfromtimestamp(time.time())

        @classmethod
        def today(cls):
            return cls.fromtimestamp(time.time())

    class date(dt.date):
        @classmethod
        def today(cls):
            return cls.fromtimestamp(time.time())

    for cls, name in ((datetime, "datetime"), (date, "date")):
        cls.__name__ = "datetime." + name  # its repr reads datetime.datetime(...)
        cls.__qualname__ = name
        cls.__module__ = "datetime"
    dt.datetime, dt.date = datetime, date


def _install_random(seed):
    import random
    rng = random.Random(seed ^ 0x5eed)

    def urandom(n):
        if n < 0:
            raise ValueError("negative argument not allowed")
        return rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""
    os.urandom = urandom
    random._urandom = urandom
    random.seed(seed)


def _install_refusals():
    import threading
    import _thread
    threading.Thread.start = unsupported(
        "threads are not supported: a thread would run on wall-clock time, outside the simulation "
        "(socketserver's Threading*Server included); run the work in the main thread")
    _thread.start_new_thread = threading.Thread.start
    if hasattr(_thread, "start_joinable_thread"):
        _thread.start_joinable_thread = threading.Thread.start
    fork = ("fork, subprocess and os.system are not supported: a child process would share "
            "this process's connection to netsim; start each program with its own netsim exec -- PROGRAM")
    for name in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp",
                 "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe",
                 "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe"):
        if hasattr(os, name):
            setattr(os, name, unsupported(fork))
    try:
        import _posixsubprocess
        _posixsubprocess.fork_exec = unsupported(fork)
    except ImportError:
        pass

    raw = _socket.socket

    class _RawSocket(raw):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            # socket.py's own class (AF_UNIX here) calls _socket.socket's
            # __init__ by that name: it passes.
            if not isinstance(self, _real_socket) and fileno is None and (family == -1 or int(family) != AF_UNIX):
                raise Unsupported("netsim exec: _socket.socket bypasses the shim (use socket.socket); "
                                  "outside the shim every socket but AF_UNIX is refused")
            raw.__init__(self, family, type, proto, fileno)
    _socket.socket = _socket.SocketType = _RawSocket
    for name in ("fromfd", "dup", "sethostname", "if_nameindex"):
        if hasattr(_sm, name):
            setattr(_sm, name, unsupported("socket.%s is not supported" % name))

    # select, selectors and asyncio come with netsim's Poll: until then they
    # refuse netsim's sockets (other descriptors stay the kernel's).
    import select
    sel = {k: getattr(select, k) for k in ("select", "poll", "epoll") if hasattr(select, k)}
    msg = "select, poll, selectors and asyncio on netsim's sockets are not supported yet"

    def _select(r, w, x, *timeout):
        for obj in list(r) + list(w) + list(x):
            if is_shim_socket(obj):
                raise Unsupported("netsim exec: " + msg)
        return sel["select"](r, w, x, *timeout)
    select.select = _select

    def _wrap(factory):
        def make(*a, **kw):
            inner = factory(*a, **kw)

            class Poller:
                def register(self, fd, *ev):
                    if is_shim_socket(fd):
                        raise Unsupported("netsim exec: " + msg)
                    return inner.register(fd, *ev)

                def __getattr__(self, name):
                    return getattr(inner, name)

                def __enter__(self):
                    return self

                def __exit__(self, *a):
                    inner.close()
            return Poller()
        return make
    for k in ("poll", "epoll"):
        if k in sel:
            setattr(select, k, _wrap(sel[k]))
    # socket imported selectors before the shim: its selectors hold the
    # kernel's poll objects.
    import selectors
    register = selectors._BaseSelectorImpl.register

    def _register(self, fileobj, events, data=None):
        if is_shim_socket(fileobj):
            raise Unsupported("netsim exec: " + msg)
        return register(self, fileobj, events, data)
    _register.__wrapped__ = register  # _netsim_select.py puts it back
    selectors._BaseSelectorImpl.register = _register

    def _asyncio(mod):
        refuse = unsupported("asyncio is not supported yet (it needs netsim's Poll)")
        for name in ("run", "new_event_loop", "get_event_loop", "Runner"):
            if hasattr(mod, name):
                setattr(mod, name, refuse)
    after_import("asyncio", _asyncio)


def _install_socketserver(mod):
    # serve_forever and handle_request wait in select for a connection:
    # here accept (or recvfrom) blocks on the virtual clock instead.
    def serve_forever(self, poll_interval=0.5):
        self._BaseServer__is_shut_down.clear()
        try:
            while not self._BaseServer__shutdown_request:
                self._handle_request_noblock()
                self.service_actions()
        finally:
            self._BaseServer__shutdown_request = False
            self._BaseServer__is_shut_down.set()

    def handle_request(self):
        timeout = self.socket.gettimeout()
        if timeout is None:
            timeout = self.timeout
        elif self.timeout is not None:
            timeout = min(timeout, self.timeout)
        old = self.socket.gettimeout()
        self.socket.settimeout(timeout)
        try:
            try:
                request, client_address = self.get_request()
            except _sm.timeout:
                return self.handle_timeout()
            except OSError:
                return
        finally:
            self.socket.settimeout(old)
        if self.verify_request(request, client_address):
            try:
                self.process_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
                self.shutdown_request(request)
            except BaseException:
                self.shutdown_request(request)
                raise
        else:
            self.shutdown_request(request)

    mod.BaseServer.serve_forever = serve_forever
    mod.BaseServer.handle_request = handle_request


def _install_excepthook():
    # A traceback shows the program's frames, not the shim's, as a
    # traceback of a failed system call does.
    import types
    here = os.path.dirname(os.path.abspath(__file__))

    def strip(tb):
        keep = []
        while tb is not None:
            if not tb.tb_frame.f_code.co_filename.startswith(here):
                keep.append(tb)
            tb = tb.tb_next
        out = None
        for t in reversed(keep):
            out = types.TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
        return out

    orig = sys.excepthook

    def hook(t, v, tb):
        seen = set()
        e = v
        while e is not None and id(e) not in seen:
            seen.add(id(e))
            e.__traceback__ = strip(e.__traceback__)
            e = e.__cause__ or e.__context__
        orig(t, v, strip(tb))
    sys.excepthook = hook


def install():
    """Put this process on the simulated network."""
    global _W, _R, _mono0
    fds = os.environ.pop("NETSIM_PROC_FDS")
    _W, _R = (int(x) for x in fds.split(","))
    for fd in (_W, _R):
        os.set_inheritable(fd, False)
    info, _ = call("hello", version=1, pid=os.getpid())
    _info.update(info)
    _mono0 = info["now"] - 10 ** 9  # monotonic clocks start at 1 s
    sys.meta_path.insert(0, _Finder())

    _sm.socket = _sm.SocketType = socket
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostname", "getfqdn",
                 "gethostbyaddr"):
        setattr(_sm, name, globals()[name])
    _install_time()
    _install_random(info["seed"])
    _install_refusals()
    _install_excepthook()
    after_import("socketserver", _install_socketserver)

    here = os.path.dirname(os.path.abspath(__file__))
    import importlib
    for f in sorted(os.listdir(here)):
        if f.startswith("_netsim_") and f.endswith(".py"):
            importlib.import_module(f[:-3])
