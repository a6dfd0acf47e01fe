"""experiments.talking_out: the game's engine over labelled talking clips, false OUT counted per span."""
import json

from experiments.talking_out import main as talking_out_main
from tests.conftest import require

HEADER = "clip,split,start_s,end_s,smile,note"


def test_a_neutral_reader_is_never_out_and_every_labelled_second_is_counted(shared_dir, shipped_weights, tmp_path, capsys):
    datasets = shared_dir / "datasets"
    require(datasets / "videos" / "talking" / "grid_swiz3n.mp4", "talking clips")
    labels = tmp_path / "spans.csv"
    labels.write_text(f"{HEADER}\nvideos/talking/grid_swiz3n.mp4,test,0,2.5,0,talking\n"
                      "videos/talking/grid_swiz3n.mp4,test,2.5,3.0,,unsure\n")
    report = tmp_path / "talk.json"
    assert talking_out_main(["--weights", str(shipped_weights), "--labels", str(labels), "--datasets", str(datasets),
                             "--json", str(report)]) == 0
    figures = json.loads(report.read_text())
    clip = figures["clips"]["videos/talking/grid_swiz3n.mp4"]
    assert abs(clip["no_smile_s"] - 2.5) < 0.05 and clip["broad_smile_out_share"] is None
    assert figures["out_in_no_smile_s"] == 0.0 and figures["threshold"] == 0.8
    assert figures["score_by_level"]["0"]["frames"] > 55  # the unsure half second counts nowhere
    assert "OUT in no-smile spans: 0.00 s of 2.5 s" in capsys.readouterr().out
