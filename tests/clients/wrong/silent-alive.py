#!/usr/bin/python3
"""Wrong: does nothing, prints nothing, exits 0 -- although its profile
says every run prints a liveness line."""
import sys

sys.exit(0)
