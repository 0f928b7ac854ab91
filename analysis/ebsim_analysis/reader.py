"""The reader behind ebsim_analysis.open_run."""

from __future__ import annotations

import h5py
import numpy as np

MAGIC = 0x0A7A


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Run:
    """One ebsim output file, opened read-only."""

    def __init__(self, path: str, scope: str = ""):
        self.path = str(path)
        self.file = h5py.File(self.path, "r")
        magic = int(self.file.attrs.get("magic", 0))
        if magic != MAGIC:
            self.file.close()
            raise ValueError(f"{self.path}: not an ebsim/SONATA file (magic {magic:#x}, expected {MAGIC:#x})")
        # A sweep keeps each run under /sweep/<k>: scope="/sweep/2" reads that run.
        self.root = self.file[scope] if scope else self.file
        self._attrs = self.root.attrs if "trial_duration_ms" in self.root.attrs else self.file.attrs

    @property
    def sweep_points(self) -> int:
        """How many runs a sweep file holds (0 for a plain run)."""
        return len(self.file["sweep"]) if "sweep" in self.file else 0

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.file.close()

    # -- metadata ----------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return int(self.file.attrs.get("complete", 0)) == 1

    @property
    def engine(self) -> str:
        return _text(self.file.attrs["engine"])

    @property
    def seed(self) -> int:
        return int(self.file.attrs["seed"])

    @property
    def config(self) -> str:
        """The fully resolved YAML config of the run."""
        return _text(self.file["config"][()])

    @property
    def populations(self) -> dict[str, dict]:
        """name -> {"role": ..., "size": ...}"""
        return {
            name: {"role": _text(g.attrs["role"]), "size": int(g.attrs["size"])}
            for name, g in self.file["populations"].items()
        }

    def bias(self, population: str) -> np.ndarray:
        """The bias b_i of each unit (Eq. 6, 8)."""
        return self.root[f"populations/{population}/bias"][()]

    # -- sampled states (SONATA report layout) -------------------------------------------------
    def states(self, population: str, by_trial: bool = False):
        """Sampled states of a population: (t_ms, data) with data of shape (time, units).

        With by_trial=True and a run of several trials, data is reshaped to (trials, time, units)
        and t to the time within a trial. Trials lie back to back on the file's time axis; the
        sample at a trial boundary belongs to the next trial's start, and the final sample (the end
        of the last trial) is dropped in the reshaped view.
        """
        group = self.root[f"report/{population}"]
        data = group["data"][()]
        start, stop, step = group["mapping/time"][()]
        t = start + step * np.arange(data.shape[0])
        if not by_trial:
            return t, data
        trials = int(self._attrs.get("trials", 1))
        per_trial = int(round(float(self._attrs["trial_duration_ms"]) / step))
        if trials == 1:
            return t[None, :], data[None, :, :]
        n = trials * per_trial
        return t[:per_trial], data[:n].reshape(trials, per_trial, data.shape[1])

    def node_ids(self, population: str) -> np.ndarray:
        return self.root[f"report/{population}/mapping/node_ids"][()]

    # -- spikes (SONATA spike layout) ----------------------------------------------------------
    def spikes(self, population: str):
        """(timestamps_ms, node_ids), sorted by time."""
        group = self.root[f"spikes/{population}"]
        return group["timestamps"][()], group["node_ids"][()]

    def spiketrains(self, population: str, t_stop_ms: float | None = None):
        """One neo.SpikeTrain per unit of the population (ms)."""
        import neo
        import quantities as pq

        times, ids = self.spikes(population)
        size = self.populations[population]["size"]
        if t_stop_ms is None:
            trials = int(self._attrs.get("trials", 1))
            t_stop_ms = float(self._attrs.get("trial_duration_ms", times.max(initial=0.0))) * trials
        return [
            neo.SpikeTrain(times[ids == u] * pq.ms, t_stop=t_stop_ms * pq.ms, name=f"{population}[{u}]")
            for u in range(size)
        ]

    def trial_starts(self) -> np.ndarray:
        """Start of each trial (ms) on the run's one clock: /trial_start_ms (older files: k x duration)."""
        if "trial_start_ms" in self.root:
            return self.root["trial_start_ms"][()]
        trials = int(self._attrs.get("trials", 1))
        return np.arange(trials) * float(self._attrs["trial_duration_ms"])

    def segments(self):
        """A neo.Block with one neo.Segment per trial: the trial's spike trains (one per unit of
        every population with spikes, times on the run's clock, t_start/t_stop the trial's bounds)
        and its sampled states (one AnalogSignal per reported population, dimensionless)."""
        import neo
        import quantities as pq

        duration = float(self._attrs["trial_duration_ms"])
        block = neo.Block(name=str(self.path))
        spikes = {pop: self.spikes(pop) for pop in self.root["spikes"]} if "spikes" in self.root else {}
        reports = list(self.root["report"]) if "report" in self.root else []
        starts = self.trial_starts()
        for k, start in enumerate(starts):
            stop = start + duration
            seg = neo.Segment(name=f"trial {k}", index=k)
            for pop, (times, ids) in spikes.items():
                # A spike at a boundary opens the next trial; the last trial keeps its end.
                sel = (times >= start) & ((times < stop) if k + 1 < len(starts) else (times <= stop))
                for u in range(self.populations[pop]["size"]):
                    st = neo.SpikeTrain(times[sel & (ids == u)] * pq.ms, t_start=start * pq.ms, t_stop=stop * pq.ms,
                                        name=f"{pop}[{u}]")
                    st.annotate(population=pop, node_id=u, trial=k)
                    seg.spiketrains.append(st)
            for pop in reports:
                t, data = self.states(pop)
                sel = (t >= start - 1e-9) & (t < stop - 1e-9)
                if np.any(sel):
                    step = float(self.root[f"report/{pop}/mapping/time"][2])
                    sig = neo.AnalogSignal(data[sel], units=pq.dimensionless, sampling_period=step * pq.ms,
                                           t_start=t[sel][0] * pq.ms, name=pop)
                    sig.annotate(population=pop, trial=k)
                    seg.analogsignals.append(sig)
            block.segments.append(seg)
        return block

    # -- weights -------------------------------------------------------------------------------
    def projections(self, label: str = "initial") -> list[str]:
        return list(self.root[f"weights/{label}"].keys())

    def weights(self, projection: str, label: str = "final", dense: bool = False):
        """(pre, post, weight) arrays, or a dense matrix W[post, pre] with dense=True."""
        g = self.root[f"weights/{label}/{projection}"]
        pre, post, w = g["pre"][()], g["post"][()], g["weight"][()]
        if not dense:
            return pre, post, w
        pops = self.populations
        W = np.zeros((pops[_text(g.attrs["target"])]["size"], pops[_text(g.attrs["source"])]["size"]))
        W[post, pre] = w
        return W

    # -- analysis --------------------------------------------------------------------------------
    def analysis(self, path: str):
        """A dataset under /analysis as a numpy array (e.g. "final_state/h1")."""
        return self.root[f"analysis/{path}"][()]

    def training(self) -> dict:
        """The learning experiment's /training group: every dataset as a numpy array (one row per
        epoch, epoch 0 before training; baseline/... for back-propagation) and the group's
        attributes under "attrs"."""
        g = self.root["training"]
        out = {"attrs": {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}}
        g.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        return out

    def rates(self, population: str, theory: bool = False):
        """(bin_start_ms, rate_hz, mean_state): trial-averaged, shape (bins, units); theory=True
        gives the continuous engine's prediction for the same bins."""
        g = self.root[f"{'theory' if theory else 'rates'}/{population}"]
        start, stop, step = g["time"][()]
        return start + step * np.arange(g["rate_hz"].shape[0]), g["rate_hz"][()], g["mean_state"][()]


def open_run(path, scope: str = "") -> Run:
    """Open an ebsim output file (scope="/sweep/<k>" for one run of a sweep). Raises ValueError
    for a file that is not one."""
    return Run(path, scope)
