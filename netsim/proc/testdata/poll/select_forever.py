# Waits in select for a client that never comes: a deadlock that names
# the sockets it waits on.
import select
import socket

ln = socket.create_server(("127.0.0.1", 9000))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 9001))
select.select([ln, u], [], [])
