# An asyncio echo client: sends lines, prints the echoes; with argv[1] = K
# it runs K clients at once, each with its own connection.
import asyncio
import socket
import sys

K = int(sys.argv[1]) if len(sys.argv) > 1 else 1


async def client(i):
    reader, writer = await asyncio.open_connection("127.0.0.1", 8888)
    for word in ("hello", "world"):
        writer.write(("%s from %d\n" % (word, i)).encode())
        await writer.drain()
        echo = await reader.readline()
        print("client %d: got %r" % (i, echo))
        await asyncio.sleep(0.01 * (i + 1))
    writer.close()
    await writer.wait_closed()


async def main():
    await asyncio.gather(*(client(i) for i in range(K)))
    try:
        # A name: the loop resolves it without its thread pool.
        await asyncio.open_connection("localhost", 9, family=socket.AF_INET)
    except ConnectionRefusedError as e:
        print("client: localhost port 9:", type(e).__name__)


asyncio.run(main())
