"""The one list of evaluation sets: every run parses as model.evaluate arguments, the test runs
are the figures weights/eval holds, and the shipping rule reads what the validation runs write."""
from pathlib import Path

from experiments.evaluate_weights import runs
from model.eval_sets import SETS, TALKING_OUT, VALIDATION_SETS
from model.evaluate import parse_args
from model.ship_rule import BENCHMARKS, EXPRESSIVE_SETS

ROOT = Path(__file__).resolve().parents[1]


def planned(which: str, predictions: Path | None = None) -> dict[str, list[str]]:
    return dict(runs(SETS[which], Path("w.pt"), Path("out"), Path("data"), predictions))


def test_every_run_is_a_valid_model_evaluate_call_with_its_own_files():
    for which in SETS:
        plan = planned(which, Path("pred"))
        for name, argv in plan.items():
            args = parse_args(argv)
            assert args.json == f"out/{name}.json" and args.predictions == f"pred/{name}.csv"
            assert args.tta_flip == name.endswith("_flip")
        assert len(plan) == len(SETS[which]) + sum(s.flip_too for s in SETS[which])


def test_the_test_runs_are_the_shipped_models_figures():
    shipped = {p.stem for p in (ROOT / "weights" / "eval").glob("*.json")
               if p.name != TALKING_OUT and not p.stem.startswith("finetune_")}
    assert set(planned("test")) == shipped


def test_the_shipping_rule_reads_validation_runs():
    names = {s.name for s in VALIDATION_SETS}
    assert set(EXPRESSIVE_SETS) <= names and {name for name, _ in BENCHMARKS} <= names
    assert {head for _, head in BENCHMARKS} == {"smile", "emotion"}
    assert not any(name.endswith("_flip") for name in planned("validation"))
