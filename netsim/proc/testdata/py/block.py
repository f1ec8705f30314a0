# Blocks outside the shim after a virtual sleep: reads a pipe nobody writes.
import os, time
time.sleep(1)
r, w = os.pipe()
os.read(r, 1)
