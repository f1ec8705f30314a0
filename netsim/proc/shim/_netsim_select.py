# netsim exec's Python shim: non-blocking sockets, select, poll, epoll,
# selectors and asyncio on the simulated network.
#
# A socket with timeout 0 (setblocking(False), settimeout(0)) is
# non-blocking: netsim answers its calls at once, with EAGAIN
# (BlockingIOError) where a call would wait and EINPROGRESS for connect;
# getsockopt(SO_ERROR) tells how the connect ended. select.select,
# select.poll and select.epoll wait on netsim's sockets with one "poll"
# request (netsim's Network.Poll, on the virtual clock); the process's own
# descriptors (asyncio's self-pipe, a real AF_UNIX socketpair) are checked
# with the kernel's poll without waiting: in a process that runs one
# thread, nothing but the process itself can make them ready while it
# waits. selectors.DefaultSelector (EpollSelector) and PollSelector use
# these classes, and asyncio's default event loop runs on them.

import errno as _errno
import math as _math
import select
import selectors

import _netsim
from _netsim import call, Unsupported

# The kernel's versions (the core's wrappers pass the process's own
# descriptors through): for descriptors below 1000 only.
_kernel_poll = select.poll

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDHUP = 0x2000
_EPOLLONESHOT = 1 << 30
_EPOLLET = 1 << 31
_FIRST = 1000  # netsim's descriptors start there


def _fd(obj):
    """The descriptor of obj, as select does it."""
    if isinstance(obj, int):
        fd = obj
    elif hasattr(obj, "fileno"):
        fd = obj.fileno()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    else:
        raise TypeError("argument must be an int, or have a fileno() method.")
    if fd < 0:
        raise ValueError("file descriptor cannot be a negative integer (%d)" % fd)
    return fd


def _wait(pairs, timeout):
    """Wait until one of pairs [(fd, events)] is ready, timeout seconds
    at most (None: no limit). Return {fd: revents} for the ready ones."""
    mine = [[fd, ev] for fd, ev in pairs if fd >= _FIRST]
    real = [(fd, ev) for fd, ev in pairs if fd < _FIRST]
    got = {}
    if real:
        p = _kernel_poll()
        for fd, ev in real:
            p.register(fd, ev)
        for fd, rev in p.poll(0):
            got[fd] = rev
    if got:
        timeout = 0
    if mine or timeout != 0:
        kw = {}
        if timeout is not None:
            kw["timeout"] = max(float(timeout), 0.0)
        r, _ = call("poll", fds=mine, **kw)
        for fd, rev in r:
            got[fd] = got.get(fd, 0) | rev
    return got


def _timeout_arg(timeout):
    if timeout is None:
        return None
    if not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a float or None")
    if timeout < 0:
        raise ValueError("timeout must be non-negative")
    return float(timeout)


# select.select: readable means POLLIN, a hang-up or an error; writable
# POLLOUT or an error; exceptional POLLPRI (as Linux's select(2) has them).
_READ_SET = POLLIN | POLLHUP | POLLERR
_WRITE_SET = POLLOUT | POLLERR


def _select(rlist, wlist, xlist, timeout=None):
    timeout = _timeout_arg(timeout)
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    want = {}
    for objs, ev in ((rlist, POLLIN), (wlist, POLLOUT), (xlist, POLLPRI)):
        for obj in objs:
            fd = _fd(obj)
            want[fd] = want.get(fd, 0) | ev
    got = _wait(sorted(want.items()), timeout)
    if any(rev & POLLNVAL for rev in got.values()):
        raise OSError(_errno.EBADF, "Bad file descriptor")
    return ([o for o in rlist if got.get(_fd(o), 0) & _READ_SET],
            [o for o in wlist if got.get(_fd(o), 0) & _WRITE_SET],
            [o for o in xlist if got.get(_fd(o), 0) & POLLPRI])


class _Registry:
    # What poll and epoll objects share: descriptors and their events, in
    # the order registered.
    def __init__(self):
        self._fds = {}

    def _events(self, timeout):
        pairs = [(fd, ev) for fd, ev in self._fds.items()]
        got = _wait(pairs, timeout)
        return [(fd, got[fd]) for fd, _ in pairs if fd in got]


class poll(_Registry):
    """select.poll on netsim's sockets and the process's own descriptors."""

    def register(self, fd, eventmask=POLLIN | POLLPRI | POLLOUT):
        self._fds[_fd(fd)] = int(eventmask)

    def modify(self, fd, eventmask):
        fd = _fd(fd)
        if fd not in self._fds:
            raise FileNotFoundError(_errno.ENOENT, "No such file or directory")
        self._fds[fd] = int(eventmask)

    def unregister(self, fd):
        del self._fds[_fd(fd)]

    def poll(self, timeout=None):
        # Milliseconds; None or negative: no limit.
        if timeout is not None:
            timeout = int(_math.ceil(timeout))
            timeout = None if timeout < 0 else timeout / 1000.0
        return self._events(timeout)


class epoll(_Registry):
    """select.epoll on netsim's sockets and the process's own descriptors.
    Edge-triggered registrations (EPOLLET) are served level-triggered;
    EPOLLONESHOT is honoured."""

    def __init__(self, sizehint=-1, flags=0):
        super().__init__()
        self._closed = False

    closed = property(lambda self: self._closed)

    def _check(self):
        if self._closed:
            raise ValueError("I/O operation on closed epoll object")

    def fileno(self):
        self._check()
        return -1

    def close(self):
        self._closed = True
        self._fds.clear()

    def register(self, fd, eventmask=select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT):
        self._check()
        fd = _fd(fd)
        if fd in self._fds:
            raise FileExistsError(_errno.EEXIST, "File exists")
        self._fds[fd] = int(eventmask)

    def modify(self, fd, eventmask):
        self._check()
        fd = _fd(fd)
        if fd not in self._fds:
            raise FileNotFoundError(_errno.ENOENT, "No such file or directory")
        self._fds[fd] = int(eventmask)

    def unregister(self, fd):
        self._check()
        fd = _fd(fd)
        if fd not in self._fds:
            raise FileNotFoundError(_errno.ENOENT, "No such file or directory")
        del self._fds[fd]

    def poll(self, timeout=None, maxevents=-1):
        self._check()
        if timeout is not None:
            timeout = float(timeout)
            if timeout < 0:
                timeout = None
        mask = ~(_EPOLLONESHOT | _EPOLLET)
        live = {fd: ev & mask for fd, ev in self._fds.items() if ev & mask}
        pairs = list(live.items())
        got = _wait(pairs, timeout)
        out = []
        for fd, _ in pairs:
            rev = got.get(fd, 0)
            if rev & POLLNVAL:
                # A closed descriptor leaves the epoll set (Linux removes it).
                self._fds.pop(fd, None)
                continue
            if rev:
                out.append((fd, rev))
                if self._fds[fd] & _EPOLLONESHOT:
                    self._fds[fd] = _EPOLLONESHOT
        if maxevents is not None and maxevents > 0:
            out = out[:maxevents]
        return out

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, *args):
        self.close()

    @classmethod
    def fromfd(cls, fd):
        raise Unsupported("netsim exec: select.epoll.fromfd is not supported")


def _install():
    # Non-blocking sockets are served (see the Go side, proc/poll.go).
    _netsim._nonblocking = lambda sock: None
    # The core refuses netsim's sockets in selectors' register: undo it.
    impl = selectors._BaseSelectorImpl
    impl.register = getattr(impl.register, "__wrapped__", impl.register)
    select.select = _select
    select.poll = poll
    select.epoll = epoll
    selectors.PollSelector._selector_cls = poll
    if hasattr(selectors, "EpollSelector"):
        selectors.EpollSelector._selector_cls = epoll
    selectors.DefaultSelector = getattr(selectors, "EpollSelector", selectors.PollSelector)
    # asyncio runs: drop the core's refusal, and resolve names without
    # the thread pool that loop.getaddrinfo uses (threads are refused).
    _netsim._after.pop("asyncio", None)
    _netsim.after_import("asyncio", _install_asyncio)


def _install_asyncio(asyncio):
    import socket as _sm
    from asyncio import base_events

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
        return _sm.getaddrinfo(host, port, family, type, proto, flags)

    async def getnameinfo(self, sockaddr, flags=0):
        return _sm.getnameinfo(sockaddr, flags)

    base_events.BaseEventLoop.getaddrinfo = getaddrinfo
    base_events.BaseEventLoop.getnameinfo = getnameinfo


_install()
