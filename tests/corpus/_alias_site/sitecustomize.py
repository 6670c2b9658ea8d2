"""Installs the torch -> fastnn aliases at interpreter start when FASTNN_CORPUS_ALIASES is
set: run_script.py sets it (and puts this folder on PYTHONPATH) so that processes a
script spawns (torch.multiprocessing with the 'spawn' start method) see the same swapped
import as the script itself."""
import os
import sys

if os.environ.get("FASTNN_CORPUS_ALIASES"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import run_script
    run_script.install_aliases()
