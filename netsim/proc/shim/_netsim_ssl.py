# netsim exec's Python shim: blocking TLS on the simulated network.
#
# ssl.SSLSocket wants a real descriptor. SSLContext.wrap_socket on one of
# netsim's sockets returns an SSLSocket of this module instead: OpenSSL
# runs on ssl.SSLObject and two MemoryBIOs, and the TLS records go over
# the socket's own send and recv. (asyncio's TLS works on SSLObject
# already.) OpenSSL's randomness comes from the kernel, not from the
# shim's seeded os.urandom: TLS bytes differ from run to run.

import _netsim
from _netsim import Unsupported, after_import, is_shim_socket

_base = _netsim.socket
_CHUNK = 16384 + 2048  # a TLS record and its overhead


def _install(ssl):
    wrap = ssl.SSLContext.wrap_socket

    class SSLSocket(_base):
        """ssl.SSLSocket on one of netsim's sockets."""

        def __new__(cls, *args, **kwargs):
            return object.__new__(cls)

        def __init__(self, *args, **kwargs):
            raise TypeError("%s does not have a public constructor; use SSLContext.wrap_socket()" % type(self).__name__)

        @classmethod
        def _wrap(cls, ctx, sock, server_side, server_hostname, do_handshake_on_connect,
                  suppress_ragged_eofs, session):
            if sock.getsockopt(_netsim._sm.SOL_SOCKET, _netsim._sm.SO_TYPE) != _netsim._STREAM:
                raise NotImplementedError("only stream sockets are supported")
            if server_side and server_hostname:
                raise ValueError("server_hostname can only be specified in client mode")
            if session is not None and server_side:
                raise ValueError("session can only be specified in client mode")
            self = object.__new__(cls)
            timeout = sock.gettimeout()
            self._init(sock._family, sock._type, sock._proto, sock.detach())
            self._timeout = timeout
            self._context = ctx
            self.server_side = server_side
            self.server_hostname = ctx._encode_hostname(server_hostname) if server_hostname else None
            self.do_handshake_on_connect = do_handshake_on_connect
            self.suppress_ragged_eofs = suppress_ragged_eofs
            self._session = session
            self._obj = None
            try:
                self.getpeername()
                connected = True
            except OSError:
                connected = False
            if connected:
                self._start()
            return self

        def _start(self):
            self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self._obj = self._context.wrap_bio(self._in, self._out, self.server_side,
                                               self.server_hostname, self._session)
            if self.do_handshake_on_connect:
                self.do_handshake()

        # TLS records over the socket's own calls.
        def _flush(self):
            view = memoryview(self._out.read())
            while len(view):  # not _base.sendall: it calls self.send
                view = view[_base.send(self, view):]

        def _fill(self):
            try:
                data = _base.recv(self, _CHUNK)
            except BlockingIOError:
                raise ssl.SSLWantReadError("The operation did not complete (read)")
            if data:
                self._in.write(data)
            else:
                self._in.write_eof()

        def _io(self, fn, *args):
            if self._obj is None:
                raise OSError(_netsim._errno.ENOTCONN, "Socket is not connected")
            while True:
                try:
                    r = fn(*args)
                except ssl.SSLWantReadError:
                    self._flush()
                    self._fill()
                    continue
                except ssl.SSLWantWriteError:
                    self._flush()
                    continue
                self._flush()
                return r

        # The SSLSocket API.
        context = property(lambda self: self._context)
        session = property(lambda self: self._obj.session if self._obj else self._session)
        session_reused = property(lambda self: self._obj.session_reused if self._obj else None)

        def do_handshake(self, block=False):
            self._io(self._obj.do_handshake)

        def connect(self, address):
            if self.server_side:
                raise ValueError("can't connect in server-side mode")
            if self._obj is not None:
                raise ValueError("attempt to connect already-connected SSLSocket!")
            _base.connect(self, address)
            self._start()

        def connect_ex(self, address):
            try:
                self.connect(address)
                return 0
            except OSError as e:
                return e.errno or _netsim._errno.EIO

        def accept(self):
            conn, addr = _base.accept(self)
            return SSLSocket._wrap(self._context, conn, True, None, self.do_handshake_on_connect,
                                   self.suppress_ragged_eofs, None), addr

        def read(self, len=1024, buffer=None):
            try:
                if buffer is not None:
                    return self._io(self._obj.read, len, buffer)
                return self._io(self._obj.read, len)
            except ssl.SSLZeroReturnError:
                return 0 if buffer is not None else b""
            except ssl.SSLEOFError:
                if self.suppress_ragged_eofs:
                    return 0 if buffer is not None else b""
                raise

        def write(self, data):
            return self._io(self._obj.write, data)

        def recv(self, buflen=1024, flags=0):
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to recv() on %s" % type(self))
            return self.read(buflen)

        def recv_into(self, buffer, nbytes=None, flags=0):
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to recv_into() on %s" % type(self))
            view = memoryview(buffer).cast("B")
            n = nbytes or len(view)
            return self.read(n, view[:n]) if n else 0

        def recvfrom(self, buflen=1024, flags=0):
            raise ValueError("recvfrom not allowed on instances of %s" % type(self))

        def send(self, data, flags=0):
            if flags != 0:
                raise ValueError("non-zero flags not allowed in calls to send() on %s" % type(self))
            return self.write(data)

        def sendall(self, data, flags=0):
            view = memoryview(data).cast("B")
            while len(view):
                view = view[self.send(view[:16384], flags):]

        def sendto(self, *args):
            raise ValueError("sendto not allowed on instances of %s" % type(self))

        def pending(self):
            return self._obj.pending() if self._obj else 0

        def unwrap(self):
            if self._obj is None:
                raise ValueError("No SSL wrapper around " + str(self))
            try:
                self._io(self._obj.unwrap)
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                pass
            self._obj = None
            plain = _base.__new__(_base, self._family, self._type, self._proto)
            plain._init(self._family, self._type, self._proto, self.detach())
            return plain

        def verify_client_post_handshake(self):
            return self._io(self._obj.verify_client_post_handshake)

        def _info(name, default=None):
            def get(self, *args):
                if self._obj is None:
                    return default
                return getattr(self._obj, name)(*args)
            get.__name__ = name
            return get

        getpeercert = _info("getpeercert")
        cipher = _info("cipher")
        shared_ciphers = _info("shared_ciphers")
        compression = _info("compression")
        version = _info("version")
        selected_alpn_protocol = _info("selected_alpn_protocol")
        selected_npn_protocol = _info("selected_npn_protocol")
        get_channel_binding = _info("get_channel_binding")
        del _info

        def dup(self):
            raise NotImplementedError("Can't dup() %s instances" % self.__class__.__name__)

        def __repr__(self):
            return "<netsim ssl.SSLSocket fd=%d%s>" % (self._fd, " [closed]" if self._fd < 0 else "")

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        if not is_shim_socket(sock) or isinstance(sock, SSLSocket):
            return wrap(self, sock, server_side, do_handshake_on_connect, suppress_ragged_eofs,
                        server_hostname, session)
        if sock.gettimeout() == 0.0:
            raise Unsupported("netsim exec: TLS on a non-blocking socket: use asyncio's ssl=, "
                              "or SSLContext.wrap_bio")
        return SSLSocket._wrap(self, sock, server_side, server_hostname, do_handshake_on_connect,
                               suppress_ragged_eofs, session)

    ssl.SSLContext.wrap_socket = wrap_socket
    ssl.netsim_SSLSocket = SSLSocket


after_import("ssl", _install)
