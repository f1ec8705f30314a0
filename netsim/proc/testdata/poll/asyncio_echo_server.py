# An asyncio echo server: serves N clients (argv[1], default 1), then exits.
import asyncio
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1


async def main():
    done = asyncio.Event()
    served = 0

    async def handle(reader, writer):
        nonlocal served
        peer = writer.get_extra_info("peername")
        while True:
            line = await reader.readline()
            if not line:
                break
            print("server: %s:%d sent %r" % (peer[0], peer[1], line))
            writer.write(b"echo " + line)
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        served += 1
        if served == N:
            done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 8888)
    print("server: listening on %s:%d" % server.sockets[0].getsockname()[:2])
    async with server:
        await done.wait()
    print("server: served %d clients at t=%.6f" % (served, asyncio.get_running_loop().time()))


asyncio.run(main())
