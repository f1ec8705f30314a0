# asyncio over UDP: a datagram echo server and a client in one process
# (non-blocking recvfrom/sendto under the event loop).
import asyncio


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        print("udp server: %r from %s:%d" % (data, addr[0], addr[1]))
        self.transport.sendto(data.upper(), addr)


class Client(asyncio.DatagramProtocol):
    def __init__(self, done):
        self.done = done
        self.got = []

    def connection_made(self, transport):
        for word in (b"one", b"two", b"three"):
            transport.sendto(word)

    def datagram_received(self, data, addr):
        self.got.append(data)
        if len(self.got) == 3:
            self.done.set_result(self.got)


async def main():
    loop = asyncio.get_running_loop()
    server, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 9999))
    done = loop.create_future()
    client, _ = await loop.create_datagram_endpoint(lambda: Client(done), remote_addr=("127.0.0.1", 9999))
    print("udp client: got", await asyncio.wait_for(done, 1))
    client.close()
    server.close()


asyncio.run(main())
