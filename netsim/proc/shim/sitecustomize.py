# netsim exec's shim (netsim.dev/netsim/proc): Python imports sitecustomize
# at start-up, before the program. In a process that netsim exec started
# (NETSIM_PROC_FDS is set), it puts the program's sockets, clocks and
# random sources on the simulated network; elsewhere it does nothing.
import os

if os.environ.get("NETSIM_PROC_FDS"):
    try:
        import _netsim
        _netsim.install()
    except BaseException as e:  # never run un-shimmed
        import traceback
        traceback.print_exc()
        os.write(2, ("netsim exec: the shim failed to start: %r\n" % (e,)).encode())
        os._exit(70)
