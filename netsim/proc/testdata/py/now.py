# Prints the virtual time since the start (2000-01-01), in seconds.
import time
print("%.6f" % (time.time() - 946684800))
