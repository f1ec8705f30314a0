# Two requests to forever_server.py.
import socket
for word in (b"one", b"two"):
    with socket.create_connection(("127.0.0.1", 8000)) as c:
        c.sendall(word + b"\n")
        print(c.makefile("rb").readline())
