"""The README's examples cannot drift from the program: every YAML block is a config that `ebsim
check` accepts, every `ebsim run` command shown checks with the same config and overrides, and every
`$ ` transcript prints what the README says it prints."""
import re
import shlex
import subprocess

import pytest

from conftest import ROOT, _ebsim_binary

README = (ROOT / "README.md").read_text()


def blocks(language):
    """(line number, text) of every fenced block in the README with that info string."""
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", README, flags=re.S | re.M):
        if match.group(1) == language:
            found.append((README.count("\n", 0, match.start()) + 1, match.group(2)))
    return found


def ebsim_commands():
    """(line, argv after the program) of every `build/release/ebsim run|check ...` line in a sh block
    that names a real file (the usage lines name CONFIG and FILE.h5: placeholders)."""
    commands = []
    for line, text in blocks("sh"):
        for k, row in enumerate(text.splitlines()):
            row = row.split("#", 1)[0].strip()
            if not row.startswith("build/release/ebsim "):
                continue
            argv = shlex.split(row)[1:]
            if argv[0] in ("run", "check") and (ROOT / argv[1]).is_file():
                commands.append((line + 1 + k, argv))
    return commands


def sonata_commands():
    """(line, argv) of every `build/release/ebsim sonata ...` line in a sh block."""
    return [(line + 1 + k, shlex.split(row)[1:]) for line, text in blocks("sh")
            for k, row in enumerate(r.split("#", 1)[0].strip() for r in text.splitlines())
            if row.startswith("build/release/ebsim sonata ") and "SWEEP.h5" not in row]


def test_the_readme_has_examples_to_check():
    # A README rewritten without fences would pass every test below vacuously.
    assert len(blocks("yaml")) >= 1
    assert len(ebsim_commands()) >= 5


@pytest.mark.parametrize("line,text", blocks("yaml"), ids=lambda v: f"README:{v}" if isinstance(v, int) else "")
def test_every_yaml_block_is_a_valid_config(ebsim, tmp_path, line, text):
    config = tmp_path / "example.yaml"
    config.write_text(text)
    proc = ebsim("check", config, check=False)
    assert proc.returncode == 0, f"the YAML block at README.md:{line} fails `ebsim check`:\n{proc.stderr}"


@pytest.mark.parametrize("line,argv", ebsim_commands(), ids=lambda v: f"README:{v}" if isinstance(v, int) else "")
def test_every_run_command_checks(ebsim, line, argv):
    # `check` takes the config and the overrides of `run`; the output options are run's own.
    args, skip = [], False
    for a in argv[1:]:
        if skip:
            skip = False
        elif a in ("-o", "--output", "--max-memory", "--max-output", "--jobs", "-j"):
            skip = True
        elif a not in ("--force", "--quiet", "-q"):
            args.append(a)
    proc = subprocess.run([_ebsim_binary(), "check", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"README.md:{line}: `ebsim {' '.join(argv)}` does not check:\n{proc.stderr}"


def transcripts():
    """(line, command, expected output) of every `$ build/release/ebsim ...` line in an unlabelled block."""
    found = []
    for line, text in blocks(""):
        rows = text.splitlines()
        for k, row in enumerate(rows):
            if row.startswith("$ ") and "build/release/ebsim" in row:
                expected = []
                for follow in rows[k + 1:]:
                    if follow.startswith("$ "):
                        break
                    expected.append(follow)
                found.append((line + 1 + k, row[2:], "\n".join(expected)))
    return found


def test_the_readme_has_transcripts():
    assert len(transcripts()) >= 2


@pytest.mark.parametrize("line,command,expected", transcripts(),
                         ids=lambda v: f"README:{v}" if isinstance(v, int) else "")
def test_every_transcript_prints_what_the_readme_shows(line, command, expected):
    command = command.replace("build/release/ebsim", shlex.quote(_ebsim_binary()))
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True)
    assert (proc.stdout + proc.stderr).strip() == expected.strip(), f"README.md:{line}: `{command}`"


@pytest.mark.parametrize("line,argv", sonata_commands(), ids=lambda v: f"README:{v}" if isinstance(v, int) else "")
def test_every_sonata_command_views_a_sweep_the_readme_runs(line, argv):
    # The file it views is the output of a `run` the README shows, of a config with a sweep; and
    # its options parse (it fails on the missing file, not on its arguments).
    sweep = argv[1]
    runs = [a for _, a in ebsim_commands() if a[0] == "run" and "-o" in a and a[a.index("-o") + 1] == sweep]
    assert runs, f"README.md:{line}: no `ebsim run ... -o {sweep}` in the README"
    assert re.search(r"^sweep:", (ROOT / runs[0][1]).read_text(), re.M), f"README.md:{line}: {runs[0][1]} has no sweep"
    args = ["/nonexistent/" + sweep if a == sweep else a for a in argv]
    proc = subprocess.run([_ebsim_binary(), *args], cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (2, f"ebsim sonata: no such file `/nonexistent/{sweep}`\n"), proc.stderr


def test_the_readme_shows_a_sonata_command():
    assert sonata_commands()
