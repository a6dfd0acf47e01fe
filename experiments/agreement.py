"""Agreement between two labellers of the same clips (docs/labelling.md).

    python -m experiments.agreement A.csv B.csv [--json OUT]

Both files are manifests (path,smile,emotion[,subject]); rows are matched by path as written
(``./`` and a trailing ``/`` ignored). Emotion: Cohen's kappa and raw agreement on the rows
both labelled. Smile intensity: Pearson r, ICC(2,1) (two-way random effects, absolute
agreement, single rater: a labeller who is always 0.2 higher lowers ICC but not r) and
the mean absolute difference.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.data.folds import read_csv_rows
from model.data.manifest import parse_emotion, parse_smile
from model.evaluate import write_json
from model.labels import EMOTIONS

# Landis & Koch (1977): the usual words for a kappa.
KAPPA_WORDS = ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
               (1.01, "almost perfect"))
WORST_SHOWN = 5


@dataclass(frozen=True)
class Labels:
    smile: float     # NaN: not labelled
    emotion: int     # -1: not labelled


def path_key(path: str) -> str:
    key = path.strip().replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key.rstrip("/")


def read_labels(csv_path: str | Path) -> dict[str, Labels]:
    """path -> labels; DatasetError naming the file and line for a bad or repeated row."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: labels file not found")
    out: dict[str, Labels] = {}
    try:
        for line, row in read_csv_rows(csv_path, ("path", "smile", "emotion")):
            where = f"{csv_path}:{line}"
            key = path_key(row["path"])
            if not key:
                raise DatasetError(f"{where}: empty path")
            if key in out:
                raise DatasetError(f"{where}: path {row['path']!r} is labelled twice")
            out[key] = Labels(parse_smile(row["smile"], where), parse_emotion(row["emotion"], where))
    except UnicodeDecodeError:
        raise DatasetError(f"{csv_path}: not UTF-8 text (save it as \"CSV UTF-8\")") from None
    return out


def cohen_kappa(a: np.ndarray, b: np.ndarray, n_classes: int = len(EMOTIONS)) -> float:
    """(p_o - p_e) / (1 - p_e); NaN when chance agreement is 1 (both used one same class only)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if len(a) == 0:
        return math.nan
    observed = float(np.mean(a == b))
    expected = float(np.dot(np.bincount(a, minlength=n_classes), np.bincount(b, minlength=n_classes))) / len(a) ** 2
    return math.nan if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def icc_2_1(ratings: np.ndarray) -> float:
    """ICC(2,1) of Shrout & Fleiss (1979) for an (n targets, k raters) matrix; NaN if undefined."""
    x = np.asarray(ratings, np.float64)
    n, k = x.shape
    if n < 2 or k < 2:
        return math.nan
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    ms_rows, ms_cols = ss_rows / (n - 1), ss_cols / (k - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
    return math.nan if denominator <= 0 else float((ms_rows - ms_error) / denominator)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def kappa_words(kappa: float) -> str:
    if math.isnan(kappa):
        return "undefined"
    return next(word for limit, word in KAPPA_WORDS if kappa < limit)


def agreement(a: dict[str, Labels], b: dict[str, Labels]) -> dict:
    """The report for two labellings (path -> labels)."""
    both = sorted(set(a) & set(b))
    report: dict = {"matched": len(both), "only_in_a": len(set(a) - set(b)), "only_in_b": len(set(b) - set(a))}
    emo = [(a[p].emotion, b[p].emotion) for p in both if a[p].emotion >= 0 and b[p].emotion >= 0]
    if emo:
        ea, eb = np.array(emo).T
        kappa = cohen_kappa(ea, eb)
        confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), np.int64)
        np.add.at(confusion, (ea, eb), 1)
        report["emotion"] = {"n": len(emo), "kappa": kappa, "kappa_words": kappa_words(kappa),
                             "agreement": float(np.mean(ea == eb)),
                             "confusion_a_rows_b_columns": confusion.tolist()}
    smile_paths = [p for p in both if not math.isnan(a[p].smile) and not math.isnan(b[p].smile)]
    if smile_paths:
        sa = np.array([a[p].smile for p in smile_paths])
        sb = np.array([b[p].smile for p in smile_paths])
        diff = np.abs(sa - sb)
        worst = np.argsort(-diff, kind="stable")[:WORST_SHOWN]
        report["smile"] = {"n": len(smile_paths), "pearson": pearson(sa, sb), "icc_2_1": icc_2_1(np.c_[sa, sb]),
                           "mean_abs_diff": float(diff.mean()), "mean_a": float(sa.mean()), "mean_b": float(sb.mean()),
                           "within_0.25": float(np.mean(diff <= 0.25)),
                           "largest_differences": [{"path": smile_paths[i], "a": float(sa[i]), "b": float(sb[i])}
                                                   for i in worst if diff[i] > 0]}
    return report


def summary(report: dict, name_a: str, name_b: str) -> str:
    lines = [f"{report['matched']} path(s) in both {name_a} and {name_b} "
             f"({report['only_in_a']} only in the first, {report['only_in_b']} only in the second)"]
    if "emotion" in report:
        e = report["emotion"]
        lines.append(f"emotion: n={e['n']} Cohen's kappa {e['kappa']:.3f} ({e['kappa_words']}), "
                     f"same label {100 * e['agreement']:.1f}%")
    if "smile" in report:
        s = report["smile"]
        lines.append(f"smile: n={s['n']} Pearson r {s['pearson']:.3f}, ICC(2,1) {s['icc_2_1']:.3f}, "
                     f"mean |difference| {s['mean_abs_diff']:.3f} (means {s['mean_a']:.2f} vs {s['mean_b']:.2f}), "
                     f"within 0.25: {100 * s['within_0.25']:.1f}%")
        for row in s["largest_differences"]:
            lines.append(f"  {row['path']}: {row['a']:g} vs {row['b']:g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.agreement", description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="the first labeller's manifest CSV")
    parser.add_argument("b", help="the second labeller's manifest CSV")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    try:
        report = agreement(read_labels(args.a), read_labels(args.b))
        if not report["matched"]:
            raise DatasetError(f"{args.a} and {args.b} share no path: nothing to compare")
        if "emotion" not in report and "smile" not in report:
            raise DatasetError(f"{args.a} and {args.b}: no shared path is labelled by both for the same head")
        if args.json:
            write_json(args.json, report)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary(report, args.a, args.b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
