#!/usr/bin/python3
"""Wrong: exits 3 at once, says nothing, does nothing."""
import sys

sys.exit(3)
