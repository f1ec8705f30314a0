# Blocking TLS over netsim: SSLContext.wrap_socket on the shim's sockets
# (served with ssl.SSLObject and MemoryBIO), a server and a client in two
# processes: python3 tls_blocking.py server | client.
import os
import socket
import ssl
import sys

here = os.path.dirname(os.path.abspath(__file__))
if sys.argv[1] == "server":
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(here, "cert.pem"), os.path.join(here, "key.pem"))
    with socket.create_server(("127.0.0.1", 8443)) as ln:
        with ctx.wrap_socket(ln, server_side=True) as tls:
            conn, addr = tls.accept()
            with conn:
                f = conn.makefile("rb")
                line = f.readline()
                print("server: got %r over %s, cipher %s" % (line, conn.version(), conn.cipher()[0]))
                conn.sendall(b"secret echo " + line)
                f.close()
else:
    ctx = ssl.create_default_context(cafile=os.path.join(here, "cert.pem"))
    with socket.create_connection(("127.0.0.1", 8443)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            print("client: peer", tls.getpeercert()["subject"])
            tls.sendall(b"hello blocking tls\n")
            print("client: got %r" % tls.recv(100))
