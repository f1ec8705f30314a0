# A selectors-based echo server (DefaultSelector, non-blocking sockets):
# serves N clients (argv[1]), then exits.
import selectors
import socket
import sys

N = int(sys.argv[1])
sel = selectors.DefaultSelector()
print("server: selector", type(sel).__name__)
ln = socket.socket()
ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ln.bind(("127.0.0.1", 9000))
ln.listen()
ln.setblocking(False)
sel.register(ln, selectors.EVENT_READ, None)
closed = 0
while closed < N:
    for key, mask in sel.select(timeout=5):
        if key.data is None:
            conn, addr = ln.accept()
            conn.setblocking(False)
            print("server: accepted", addr)
            sel.register(conn, selectors.EVENT_READ, addr)
            continue
        conn, addr = key.fileobj, key.data
        try:
            data = conn.recv(1024)
        except BlockingIOError:
            print("server: spurious wake-up for", addr)
            continue
        if data:
            print("server: %r from %s" % (data, addr))
            conn.send(data.upper())
        else:
            print("server: %s closed" % (addr,))
            sel.unregister(conn)
            conn.close()
            closed += 1
sel.close()
ln.close()
