"""ebsim's file read by SONATA readers that know nothing of ebsim.

Two readers: Debian's python3-bmtk (1.0.6), a real SONATA reader, and h5py alone following the
SONATA developer guide (AllenInstitute/sonata, docs/SONATA_DEVELOPER_GUIDE.md) point by point. No
ebsim code is imported here. Also: the units walk, which fails on any numeric dataset, in the file
of any experiment, that carries no `units` attribute.
"""
import warnings

import h5py
import numpy as np
import pytest

# A spiking single run with every population's states, spikes and weights recorded.
SPIKING = ("configs/theory_check.yaml", "--set", "sweep=null", "--set", "protocol.trials=2",
           "--set", "protocol.phases.0.duration=200 ms", "--set", "record.states.populations=all")


@pytest.fixture(scope="module")
def spiking_file(ebsim, root, tmp_path_factory):
    out = tmp_path_factory.mktemp("sonata") / "spiking.h5"
    config, *sets = SPIKING
    ebsim("run", root / config, "-o", out, "--quiet", *sets)
    return out


# The same network swept over r_max (4 runs under /sweep/<k>), and `ebsim sonata`'s view of each
# run: a file whose root is the run's SONATA network, spikes and reports (external links into the
# sweep file). The views are read from another directory than the one they were written from.
SWEEP_RUN = 2


@pytest.fixture(scope="module")
def sweep_views(ebsim, root, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sonata_sweep")
    config, _, _, *sets = SPIKING
    ebsim("run", root / config, "-o", directory / "sweep.h5", "--quiet", *sets)
    ebsim("sonata", directory / "sweep.h5", "-o", directory / "views")
    return directory


@pytest.fixture(scope="module", params=["single run", "sweep run"])
def sonata_file(request, spiking_file):
    """A file that SONATA readers must read: a single run's output, or a sweep run's view."""
    if request.param == "single run":
        return spiking_file
    return request.getfixturevalue("sweep_views") / "views" / f"{SWEEP_RUN}.h5"


# ---------------------------------------------------------------------------------------------
# bmtk


def test_bmtk_reads_the_spikes(sonata_file):
    from bmtk.utils.reports.spike_trains import SpikeTrains

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trains = SpikeTrains.from_sonata(str(sonata_file))
    with h5py.File(sonata_file, "r") as f:
        assert sorted(trains.populations) == sorted(f["spikes"])
        for pop in f["spikes"]:
            times = f[f"spikes/{pop}/timestamps"][()]
            ids = f[f"spikes/{pop}/node_ids"][()]
            assert trains.n_spikes(pop) == times.size > 0
            assert trains.units(pop) == "ms"
            frame = trains.to_dataframe(populations=pop)
            np.testing.assert_array_equal(frame["timestamps"].to_numpy(), times)
            np.testing.assert_array_equal(frame["node_ids"].to_numpy(), ids)
            for node in (0, int(ids.max())):
                np.testing.assert_array_equal(np.sort(trains.get_times(node, population=pop)), times[ids == node])


def test_bmtk_reads_the_reports(sonata_file):
    from bmtk.utils.reports.compartment import CompartmentReport

    report = CompartmentReport(str(sonata_file), mode="r")
    with h5py.File(sonata_file, "r") as f:
        assert sorted(report.populations) == sorted(f["report"])
        for pop in f["report"]:
            data = f[f"report/{pop}/data"][()]
            start, stop, step = f[f"report/{pop}/mapping/time"][()]
            assert (report.tstart(population=pop), report.tstop(population=pop), report.dt(population=pop)) == (
                start, stop, step)
            assert report.units(population=pop) == "1"
            np.testing.assert_array_equal(report.data(population=pop), data)
            n = data.shape[1]
            np.testing.assert_array_equal(report.node_ids(population=pop), np.arange(n))
            np.testing.assert_array_equal(report.element_pos(population=pop), np.full(n, 0.5, np.float32))
            for node in (0, n - 1):
                np.testing.assert_array_equal(report.data(node_id=node, population=pop).ravel(), data[:, node])


def _types_files(f, directory):
    """The node and edge types CSVs bmtk insists on (SONATA keeps types in CSVs beside the HDF5;
    ebsim's single file has one node type per population and one edge type per projection, whose
    ids the file carries)."""
    nodes = directory / "node_types.csv"
    nodes.write_text("node_type_id population model_type\n" + "".join(
        f"{int(g['node_type_id'][0])} {name} {g.attrs['model_type']}\n" for name, g in f["nodes"].items()))
    edges = directory / "edge_types.csv"
    edges.write_text("edge_type_id population\n" + "".join(
        f"{int(g.attrs['edge_type_id'])} {name}\n" for name, g in f["edges"].items()))
    return [str(nodes), str(edges)]


def test_bmtk_reads_the_nodes_and_edges(sonata_file, tmp_path):
    from bmtk.utils.sonata import File

    with h5py.File(sonata_file, "r") as f:
        network = File(data_files=str(sonata_file), data_type_files=_types_files(f, tmp_path))
        assert sorted(network.nodes.population_names) == sorted(f["populations"])
        for name, group in f["populations"].items():
            assert len(network.nodes[name]) == group["bias"].shape[0]
        assert sorted(network.edges.population_names) == sorted(f["weights/initial"])
        for name in network.edges.population_names:
            edges = network.edges[name]
            table = f[f"weights/initial/{name}"]
            pre, post, weight = table["pre"][()], table["post"][()], table["weight"][()]
            assert (edges.source_population, edges.target_population) == (table.attrs["source"], table.attrs["target"])
            assert len(edges) == pre.size
            for k in (0, pre.size // 2, pre.size - 1):
                edge = edges.get_row(k)
                assert (edge.source_node_id, edge.target_node_id) == (pre[k], post[k])
                assert edge["syn_weight"] == weight[k]
                assert edge["delay"] == table.attrs["delay_ms"]
            # bmtk's index lookups (indices/source_to_target, target_to_source) against a count.
            node = int(post[0])
            assert sorted(e.source_node_id for e in edges.get_target(node)) == sorted(pre[post == node])
            node = int(pre[-1])
            assert sorted(e.target_node_id for e in edges.get_source(node)) == sorted(post[pre == node])


# ---------------------------------------------------------------------------------------------
# h5py alone, the developer guide point by point


def _units(obj):
    u = obj.attrs["units"]
    return u.decode() if isinstance(u, bytes) else u


def test_h5py_only_file_attributes(sonata_file):
    """Common conventions: every SONATA h5 file has magic = 0x0A7A (uint32) and version (2 x uint32)."""
    with h5py.File(sonata_file, "r") as f:
        assert f.attrs["magic"] == 0x0A7A and f.attrs.get_id("magic").dtype == np.dtype("<u4")
        assert f.attrs["version"].shape == (2,) and f.attrs.get_id("version").dtype == np.dtype("<u4")


def test_h5py_only_spike_file(sonata_file):
    """Spike file: /spikes/<pop> with `sorting` (enum none/by_id/by_time), timestamps (double, units)
    and node_ids (uint64); sorted by time as declared."""
    with h5py.File(sonata_file, "r") as f:
        for pop, group in f["spikes"].items():
            sorting = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
            assert sorting == {"none": 0, "by_id": 1, "by_time": 2}
            assert group.attrs["sorting"] == sorting["by_time"]
            times, ids = group["timestamps"], group["node_ids"]
            assert times.dtype == np.dtype("<f8") and _units(times) == "ms"
            assert ids.dtype == np.dtype("<u8") and ids.shape == times.shape
            assert np.all(np.diff(times[()]) >= 0)


def test_h5py_only_report(sonata_file):
    """Frame-oriented report: data (float, N_time x N_values, units); mapping/node_ids (uint64,
    attribute sorted), index_pointers (uint64), element_ids (uint32), element_pos (float), time
    (double [start, stop, step], units, open on the right); node i's data are
    data[:, index_pointers[i]:index_pointers[i + 1]]."""
    with h5py.File(sonata_file, "r") as f:
        for pop, group in f["report"].items():
            data, mapping = group["data"], group["mapping"]
            assert data.dtype == np.dtype("<f4") and "units" in data.attrs
            node_ids = mapping["node_ids"]
            assert node_ids.dtype == np.dtype("<u8")
            assert node_ids.attrs["sorted"] == 1 and node_ids.attrs.get_id("sorted").dtype == np.dtype("i1")
            assert np.all(np.diff(node_ids[()]) > 0)
            pointers = mapping["index_pointers"][()]
            assert mapping["index_pointers"].dtype == np.dtype("<u8")
            assert pointers.size == node_ids.size + 1 and pointers[-1] == data.shape[1]
            assert mapping["element_ids"].dtype == np.dtype("<u4") and mapping["element_ids"].shape == (data.shape[1],)
            assert mapping["element_pos"].dtype == np.dtype("<f4") and mapping["element_pos"].shape == (data.shape[1],)
            start, stop, step = mapping["time"][()]
            assert mapping["time"].dtype == np.dtype("<f8") and _units(mapping["time"]) == "ms"
            assert data.shape[0] == round((stop - start) / step)  # no frame at t = stop
            for i in range(node_ids.size):
                column = data[:, pointers[i]:pointers[i + 1]]
                assert column.shape == (data.shape[0], 1)


def test_h5py_only_nodes_and_edges(sonata_file):
    """Nodes: /nodes/<pop>/{node_type_id, node_id, node_group_id, node_group_index} and the group
    they point to. Edges: /edges/<pop>/{source_node_id, target_node_id (attribute node_population),
    edge_type_id, edge_group_id, edge_group_index}, the edge group's syn_weight and delay, and the
    optional indices, whose every range holds only edges of its node."""
    with h5py.File(sonata_file, "r") as f:
        for pop, group in f["nodes"].items():
            n = group["node_id"].shape[0]
            for name in ("node_type_id", "node_group_id", "node_group_index"):
                assert group[name].shape == (n,)
            for gid in np.unique(group["node_group_id"][()]):
                assert str(gid) in group
        for proj, group in f["edges"].items():
            source, target = group["source_node_id"], group["target_node_id"]
            n = source.shape[0]
            sizes = {}
            for end in (source, target):
                population = end.attrs["node_population"]
                sizes[end.name] = f[f"nodes/{population}/node_id"].shape[0]
                assert end[()].max() < sizes[end.name]
            for name in ("edge_type_id", "edge_group_id", "edge_group_index"):
                assert group[name].shape == (n,)
            edge_group = group[str(group["edge_group_id"][0])]
            index = group["edge_group_index"][()]
            weights = edge_group["syn_weight"][()][index]
            assert _units(edge_group["delay"]) == "ms"
            assert weights.shape == (n,)
            for name, ids in (("source_to_target", source[()]), ("target_to_source", target[()])):
                to_ranges = group[f"indices/{name}/node_id_to_ranges"][()]
                ranges = group[f"indices/{name}/range_to_edge_id"][()]
                seen = 0
                for node, (first, last) in enumerate(to_ranges):
                    for begin, end in ranges[max(first, 0):max(last, 0)]:
                        assert np.all(ids[begin:end] == node)
                        seen += end - begin
                assert seen == n


# ---------------------------------------------------------------------------------------------
# `ebsim sonata`: a sweep's runs as SONATA files


def test_sweep_views_are_the_runs_and_move_with_the_sweep_file(sweep_views, tmp_path, monkeypatch):
    import shutil

    moved = tmp_path / "elsewhere"
    shutil.copytree(sweep_views, moved)  # the pair moves together; the links are relative
    monkeypatch.chdir(tmp_path)           # and are read from another working directory
    with h5py.File(moved / "sweep.h5", "r") as sweep:
        runs = sorted(sweep["sweep"], key=int)
        assert sorted(p.name for p in (moved / "views").iterdir()) == sorted(f"{k}.h5" for k in runs)
        for k in runs:
            with h5py.File(moved / "views" / f"{k}.h5", "r") as view:
                run = sweep[f"sweep/{k}"]
                assert view.attrs["value"] == run.attrs["value"]
                assert (view.attrs["source_file"], view.attrs["source_group"]) == ("../sweep.h5", f"/sweep/{k}")
                assert sorted(view) == sorted([*run, "config"])
                assert view["config"][()] == sweep["config"][()]
                for pop in run["spikes"]:
                    np.testing.assert_array_equal(view[f"spikes/{pop}/timestamps"][()],
                                                  run[f"spikes/{pop}/timestamps"][()])
                for pop in run["populations"]:  # each run's nodes carry that run's biases
                    np.testing.assert_array_equal(view[f"nodes/{pop}/0/dynamics_params/bias"][()],
                                                  run[f"populations/{pop}/bias"][()])
        # Different runs, different spikes: the views do not all point at one run.
        first, last = (sweep[f"sweep/{k}/spikes/h1/timestamps"].shape for k in (runs[0], runs[-1]))
        assert first != last


def test_sonata_refuses_what_it_cannot_view_and_writes_nothing(ebsim, sweep_views, spiking_file, tmp_path):
    def refused(*args):
        proc = ebsim("sonata", *args, check=False)
        assert proc.returncode == 2, proc.stderr
        return proc.stderr

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    assert "exists" in refused(sweep_views / "sweep.h5", "-o", existing)
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]
    assert "single run" in refused(spiking_file, "-o", tmp_path / "single")
    incomplete = tmp_path / "incomplete.h5"
    incomplete.write_bytes((sweep_views / "sweep.h5").read_bytes())
    with h5py.File(incomplete, "r+") as f:
        f.attrs["complete"] = np.int64(0)
    assert "INCOMPLETE" in refused(incomplete, "-o", tmp_path / "partial")
    assert "no such file" in refused(tmp_path / "missing.h5", "-o", tmp_path / "missing")
    assert "missing -o" in refused(sweep_views / "sweep.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "incomplete.h5"]  # no partial directory left


# ---------------------------------------------------------------------------------------------
# Self-describing: units on every numeric dataset, in the file of every experiment.

RUNS = {
    "spiking": SPIKING,
    "relax": ("configs/relax.yaml",),
    "stdp_window": ("configs/stdp_window.yaml",),
    "saturation": ("configs/saturation.yaml",),
    "backprop": ("configs/backprop_equivalence.yaml", "--set", "experiment.spiking.branches=20"),
    "stdp_statistics": ("configs/stdp_statistics.yaml", "--set", "experiment.trials=2", "--set", "experiment.duration=1 s"),
    "learning": ("configs/learn_digits.yaml", "--set", "experiment.epochs=1",
                 "--set", "experiment.data.train_examples=100", "--set", "experiment.data.test_examples=50"),
}


@pytest.mark.parametrize("name", RUNS)
def test_every_numeric_dataset_has_units(ebsim, root, tmp_path, name):
    config, *sets = RUNS[name]
    out = tmp_path / f"{name}.h5"
    ebsim("run", root / config, "-o", out, "--quiet", *sets)
    missing, unknown = [], []
    with h5py.File(out, "r") as f:
        def visit(path, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "iuf":
                if "units" not in obj.attrs:
                    missing.append(path)
                elif _units(obj) not in {"1", "ms", "s", "Hz", "1/s"}:
                    unknown.append(f"{path}: {_units(obj)}")
        f.visititems(visit)
    assert not missing, f"numeric datasets without units: {missing}"
    assert not unknown, unknown


def test_a_sweep_file_has_units_everywhere_the_swept_values_the_keys(ebsim, root, tmp_path):
    """Every numeric dataset of a sweep file has units; the swept values have their key's (rates in
    Hz, times in ms, as the values are stored), in the one-key and in the grid form."""
    one_key, grid = tmp_path / "sweep.h5", tmp_path / "grid.h5"
    ebsim("run", root / "configs/theory_check.yaml", "-o", one_key, "--quiet",
          "--set", "protocol.trials=1", "--set", "protocol.phases.0.duration=50 ms")
    ebsim("run", root / "tests/tools/sweeps/spiking.yaml", "-o", grid, "--quiet", "--set", "sweep.replicates=1",
          "--set", "protocol.trials=1")
    for out in (one_key, grid):
        missing = []
        with h5py.File(out, "r") as f:
            f.visititems(lambda path, obj: missing.append(path) if isinstance(obj, h5py.Dataset)
                         and obj.dtype.kind in "iuf" and "units" not in obj.attrs else None)
            assert missing == [], out
    with h5py.File(one_key, "r") as f:
        assert _units(f["analysis/sweep/values"]) == "Hz"
        np.testing.assert_array_equal(f["analysis/sweep/values"][()], [100, 400, 1600, 6400])
    with h5py.File(grid, "r") as f:
        assert _units(f["analysis/sweep/values/model.r_max"]) == "Hz"
        assert _units(f["analysis/sweep/values/model.tau"]) == "ms"
        np.testing.assert_array_equal(f["analysis/sweep/values/model.tau"][()], [10, 20] * 3)


def test_integer_quantities_are_integers(ebsim, root, tmp_path):
    out = tmp_path / "learn.h5"
    config, *sets = RUNS["learning"]
    ebsim("run", root / config, "-o", out, "--quiet", *sets)
    with h5py.File(out, "r") as f:
        for name in ("epoch", "unsettled", "test_labels", "test_predictions", "train_indices", "test_indices"):
            assert f[f"training/{name}"].dtype.kind == "i", name
        assert f["training/alignment"].attrs["dimensions"].tolist() == ["epoch", "projection"]


def test_population_axes_are_named_and_trials_start_on_one_clock(spiking_file):
    with h5py.File(spiking_file, "r") as f:
        for name in ("held_low", "held_high", "chattering"):
            counts = f[f"analysis/phases/clamped/{name}"]
            assert counts.dtype.kind == "i"
            assert counts.attrs["dimensions"].tolist() == ["trial", "population"]
            # The config's order (x, h2, h1, y), not /populations' alphabetical listing.
            assert counts.attrs["populations"].tolist() == ["x", "h2", "h1", "y"]
            assert counts.shape[1] == len(counts.attrs["populations"])
        start = f["trial_start_ms"]
        assert _units(start) == "ms"
        np.testing.assert_array_equal(start[()], np.arange(f.attrs["trials"]) * f.attrs["trial_duration_ms"])


# ---------------------------------------------------------------------------------------------
# ebsim info: units and attributes, any SONATA file, --json


def test_info_json_lists_units_and_attributes(ebsim, spiking_file):
    import json

    doc = json.loads(ebsim("info", spiking_file, "--json").stdout)
    assert doc["format"] == "ebsim" and doc["attributes"]["magic"] == 0x0A7A
    objects = {o["path"]: o for o in doc["objects"]}
    stamps = objects["/spikes/h1/timestamps"]
    assert (stamps["kind"], stamps["type"], stamps["units"]) == ("dataset", "float64", "ms")
    assert objects["/spikes/h1"]["attributes"]["sorting"] == "by_time"
    assert objects["/edges/x->h2/source_node_id"]["attributes"]["node_population"] == "x"
    assert objects["/report/h1/mapping/index_pointer"]["kind"] == "link"


def test_info_recognises_a_sonata_file_bmtk_wrote(ebsim, tmp_path):
    from bmtk.utils.reports.spike_trains import SpikeTrains

    path = tmp_path / "bmtk_spikes.h5"
    trains = SpikeTrains(population="cortex")
    trains.add_spikes(node_ids=[0, 1, 1], timestamps=[1.0, 2.5, 3.0], population="cortex")
    trains.to_sonata(str(path))
    text = ebsim("info", path).stdout
    assert text.startswith(f"SONATA file {path}")
    assert "INCOMPLETE" not in text
    assert "spikes cortex" in text and "3 spikes" in text


def test_info_summarises_a_sweep_one_line_per_point(ebsim, root, tmp_path):
    out = tmp_path / "sweep.h5"
    ebsim("run", root / "configs/theory_check.yaml", "-o", out, "--quiet",
          "--set", "protocol.trials=1", "--set", "protocol.phases.0.duration=50 ms")
    text = ebsim("info", out).stdout
    points = [line for line in text.splitlines() if "sweep point, value =" in line]
    assert len(points) == 4
    assert len(text.splitlines()) < 200, len(text.splitlines())
