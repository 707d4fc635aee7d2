import sys; print("1..0 # SKIP not yet"); sys.exit(77)
