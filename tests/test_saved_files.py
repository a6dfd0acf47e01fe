"""settings.json and scores.json: a broken file is kept beside the new one (never silently
overwritten), what could be read from it is kept, and no non-finite or mistyped value gets in."""
import json
import math
from pathlib import Path

import pytest

from game.scores import TABLE_SIZE, HighScores, ScoreEntry
from game.settings import Settings, SettingsStore


def entry(seconds: float) -> dict:
    return {"seconds": seconds, "peak": 0.9, "threshold": 0.8, "won": False, "date": "2026-01-14"}


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def test_a_truncated_scores_file_keeps_its_readable_entries_and_a_backup(tmp_path):
    scores = HighScores(tmp_path / "scores.json")
    text = json.dumps([entry(30 - i) for i in range(TABLE_SIZE)], indent=2)
    cut = text[:text.rindex('"date"')]            # the tenth entry is cut off mid-way
    scores.path.write_text(cut, encoding="utf-8")
    messages = scores.load()
    assert [e.seconds for e in scores.entries] == [30 - i for i in range(9)]
    (backup,) = backups(scores.path)
    assert backup.read_text(encoding="utf-8") == cut
    assert len(messages) == 1 and str(scores.path) in messages[0] and str(backup) in messages[0]
    scores.add(ScoreEntry.now(5.0, 0.9, 0.8, False))
    assert scores.save() is None
    assert len(json.loads(scores.path.read_text(encoding="utf-8"))) == TABLE_SIZE   # 9 kept + the new one
    assert backups(scores.path) == [backup]


def test_a_truncated_settings_file_keeps_its_readable_values_and_a_backup(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    cut = '{\n  "threshold": 0.65,\n  "language": "en",\n  "sound": fa'
    store.path.write_text(cut, encoding="utf-8")
    settings, messages = store.load()
    assert settings == Settings(threshold=0.65, language="en")
    (backup,) = backups(store.path)
    assert backup.read_text(encoding="utf-8") == cut
    assert len(messages) == 1 and "not valid JSON" in messages[0] and str(backup) in messages[0]
    assert store.save(settings) is None     # the first key press saves: the backup stays
    assert backup.read_text(encoding="utf-8") == cut


@pytest.mark.parametrize("content", ['{"threshold": 3}', '[1, 2]', '"x"'])
def test_a_settings_file_with_anything_unusable_is_backed_up_before_it_is_replaced(tmp_path, content):
    store = SettingsStore(tmp_path / "settings.json")
    store.path.write_text(content, encoding="utf-8")
    settings, messages = store.load()
    assert settings == Settings()
    (backup,) = backups(store.path)
    assert backup.read_text(encoding="utf-8") == content and any(str(backup) in m for m in messages)


def test_two_broken_files_in_the_same_second_get_two_backups(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    for content in ("{bad", "{worse"):
        store.path.write_text(content, encoding="utf-8")
        store.load()
    assert sorted(p.read_text(encoding="utf-8") for p in backups(store.path)) == ["{bad", "{worse"]


def test_a_good_settings_file_makes_no_backup(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings(threshold=0.7))
    assert store.load() == (Settings(threshold=0.7), []) and backups(store.path) == []


# ---------------------------------------------------------------- non-finite and mistyped values
@pytest.mark.parametrize("field, value", [
    ("seconds", "NaN"), ("seconds", "Infinity"), ("seconds", "-1"), ("peak", "NaN"), ("peak", "Infinity"),
    ("threshold", "NaN"), ("threshold", "-Infinity"), ("won", '"false"'), ("won", "0"), ("seconds", '"12"'),
    ("date", "20260114"),
])
def test_score_rows_with_non_finite_or_mistyped_values_are_skipped(tmp_path, field, value):
    scores = HighScores(tmp_path / "scores.json")
    row = json.dumps(entry(12.0)).replace(f'"{field}": {json.dumps(entry(12.0)[field])}', f'"{field}": {value}')
    assert row != json.dumps(entry(12.0))
    scores.path.write_text(f"[{row}, {json.dumps(entry(8.0))}]", encoding="utf-8")
    messages = scores.load()
    assert [e.seconds for e in scores.entries] == [8.0]
    assert "skipped 1 malformed" in messages[0] and backups(scores.path)


def test_won_false_is_read_as_false(tmp_path):
    scores = HighScores(tmp_path / "scores.json")
    scores.path.write_text(json.dumps([entry(8.0), {**entry(9.0), "won": True}]), encoding="utf-8")
    assert scores.load() == [] and [e.won for e in scores.entries] == [True, False]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_settings_are_replaced_by_the_default(tmp_path, value):
    store = SettingsStore(tmp_path / "settings.json")
    store.path.write_text(f'{{"threshold": {value}, "language": "en"}}', encoding="utf-8")
    settings, messages = store.load()
    assert settings == Settings(language="en") and not math.isnan(settings.threshold)
    assert len(messages) == 1 and "threshold=" in messages[0] and "kept as" in messages[0]
