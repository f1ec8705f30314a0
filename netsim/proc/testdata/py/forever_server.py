# A server that never ends by itself: socketserver's serve_forever.
import socketserver


class Upper(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline().upper())


with socketserver.TCPServer(("127.0.0.1", 8000), Upper) as srv:
    srv.serve_forever()
