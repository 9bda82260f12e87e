"""Where `make run` keeps its state, and what `make reset` may wipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.state import ROOT, LocalState, NotStateError, default_state_dir, main


def test_chorus_state_dir_moves_the_state_and_unset_or_empty_means_the_repositorys_state_folder() -> None:
    assert default_state_dir({"CHORUS_STATE_DIR": "/tmp/second-stack"}) == Path("/tmp/second-stack")
    assert default_state_dir({"CHORUS_STATE_DIR": "stacks/b"}) == Path("stacks/b")
    assert default_state_dir({}) == ROOT / ".state"
    assert default_state_dir({"CHORUS_STATE_DIR": ""}) == ROOT / ".state"  # not the working directory


def test_reset_wipes_a_state_folder_make_run_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "stack"
    LocalState(folder).secret()
    (folder / "outbox").mkdir()
    monkeypatch.setenv("CHORUS_STATE_DIR", str(folder))
    assert main(["reset"]) == 0
    assert not folder.exists()
    assert main(["reset"]) == 0  # nothing there: nothing to do


def test_reset_refuses_a_folder_that_is_not_make_runs_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.tex").write_text("years of work")
    monkeypatch.setenv("CHORUS_STATE_DIR", str(tmp_path))
    assert main(["reset"]) == 1
    assert (tmp_path / "thesis.tex").read_text() == "years of work"
    assert "not a `make run` state folder" in capsys.readouterr().err
    with pytest.raises(NotStateError):
        LocalState(tmp_path).wipe()
