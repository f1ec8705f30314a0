# TLS over netsim with asyncio (SSLObject + MemoryBIO under the hood): a
# server and a client in one process, with the self-signed cert.pem and
# key.pem (CN localhost, valid until 2126) beside this script.
import asyncio
import os
import ssl

here = os.path.dirname(os.path.abspath(__file__))


async def main():
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(os.path.join(here, "cert.pem"), os.path.join(here, "key.pem"))

    async def handle(reader, writer):
        line = await reader.readline()
        print("tls server: got %r over %s" % (line, writer.get_extra_info("ssl_object").version()))
        writer.write(b"secret echo " + line)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 8443, ssl=sctx)
    cctx = ssl.create_default_context(cafile=os.path.join(here, "cert.pem"))
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", 8443, ssl=cctx, server_hostname="localhost")
        writer.write(b"hello tls\n")
        print("tls client: got %r" % (await reader.readline(),))
        writer.close()
        try:
            await writer.wait_closed()
        except (ssl.SSLError, ConnectionError):
            pass


asyncio.run(main())
