import os
import stat

import pytest

from model.files import replaced_atomically


def test_a_file_is_replaced_whole_or_left_as_it_was(tmp_path):
    path = tmp_path / "sub" / "report.json"
    with replaced_atomically(path, encoding="utf-8") as f:
        f.write("first")
    assert path.read_text() == "first"
    with pytest.raises(RuntimeError):
        with replaced_atomically(path, encoding="utf-8") as f:
            f.write("half of the sec")
            raise RuntimeError("killed mid-write")
    assert path.read_text() == "first" and sorted(p.name for p in path.parent.iterdir()) == ["report.json"]


def test_private_files_are_the_owners_and_others_follow_the_umask(tmp_path):
    with replaced_atomically(tmp_path / "settings.json") as f:
        f.write("{}")
    with replaced_atomically(tmp_path / "figures.json", private=False) as f:
        f.write("{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "settings.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "figures.json").stat().st_mode) == 0o666 & ~umask
