"""`python -m sim` is the `ccsim` command line."""

from sim.cli import main

main(prog_name="ccsim")
