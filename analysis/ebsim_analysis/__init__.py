"""Read ebsim's HDF5 output with h5py and numpy only (no ebsim needed).

    >>> from ebsim_analysis import open_run
    >>> run = open_run("runs/relax.h5")
    >>> t, s = run.states("h1")        # t in ms, s has shape (time, units)
    >>> times, ids = run.spikes("h1")   # spiking runs
    >>> trains = run.spiketrains("h1")  # neo.SpikeTrain objects, one per unit

The layout is SONATA's (reports and spikes) plus ebsim's own groups: /weights, /analysis,
/config. See the README's "Output file" section.
"""

from .reader import Run, open_run

__all__ = ["Run", "open_run"]
