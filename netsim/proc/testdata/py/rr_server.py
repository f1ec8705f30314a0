# A request/response server with socketserver: TCP (StreamRequestHandler,
# lines) and UDP (DatagramRequestHandler), single-threaded, N requests each.
import socketserver, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3


class Upper(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())


class Echo(socketserver.DatagramRequestHandler):
    def handle(self):
        self.wfile.write(b"echo " + self.rfile.read())


with socketserver.TCPServer(("127.0.0.1", 8000), Upper) as tcp, \
        socketserver.UDPServer(("127.0.0.1", 8001), Echo) as udp:
    for i in range(n):
        tcp.handle_request()
    udp.handle_request()
    # A timeout: nobody comes within 2 s of virtual time.
    tcp.timeout = 2
    tcp.handle_timeout = lambda: print("no more requests")
    tcp.handle_request()
print("served", n)
