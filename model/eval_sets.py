"""The evaluation sets, in one list: what ``experiments.evaluate_weights`` scores a checkpoint on
and what ``model.ship_rule`` reads back by name.

Each set is one ``python -m model.evaluate`` run (its arguments below) whose figures are written
as NAME.json, and whose per-face predictions as NAME.csv. TEST_SETS give the model card's
figures and are never trained or tuned on; VALIDATION_SETS are what model selection and the
shipping rule may look at (GENKI-4K and SMILEsmileD fold 1, FER2013 PublicTest, the validation
subjects drawn from the manifest sets' train rows, as model.train's val entries).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvalSet:
    name: str                    # file stem of its figures
    dataset: str                 # model.evaluate --dataset
    root: str                    # below the datasets folder
    split: str
    val_fold: int | None = None
    crop: str | None = None      # None: the dataset's default
    ferplus: str | None = None   # FER+ votes: head 2 against their majority, head 1 where they agree
    flip_too: bool = False       # also scored with the mirrored face averaged in (NAME_flip)
    expressive: bool = False     # its expressive non-smiles count for ship_rule's false smiles
    benchmark: str | None = None  # the head ship_rule holds to the shipped model's interval
    calibrates: bool = False     # its smile labels are among those model.calibrate --fit-on validation fits

    def evaluate_args(self, datasets: str) -> list[str]:
        """model.evaluate's arguments for this set, datasets read from ``datasets``."""
        args = ["--dataset", self.dataset, "--root", f"{datasets}/{self.root}", "--split", self.split]
        if self.val_fold is not None:
            args += ["--val-fold", str(self.val_fold)]
        if self.crop is not None:
            args += ["--crop", self.crop]
        if self.ferplus is not None:
            args += ["--ferplus", f"{datasets}/{self.ferplus}"]
        return args


FERPLUS = "ferplus/fer2013new.csv"
# The sets published with a split column (../shared/datasets/README.md): head 1 on MTFL's smile
# attribute and KDEF/Taiwanese happy-vs-rest; SFEW's and KERC2020's smile from their emotion.
MANIFESTS = ("mtfl", "kdef", "taiwan_performers", "sfew", "kerc2020")
# Manifest validation subjects with expressive non-smiles (MTFL has no emotions, KERC2020 no
# validation rows).
EXPRESSIVE_MANIFESTS = ("kdef", "taiwan_performers", "sfew")
# Manifest validation subjects whose smile labels place the calibrated 0.5 (model.calibrate): not
# MTFL, whose smile attribute is wrong on about one face in seven (docs/labelling.md), nor SFEW,
# which has none.
CALIBRATING_MANIFESTS = ("kdef", "taiwan_performers")

TEST_SETS = (
    # GENKI-4K photos are cut by the game's own cropper (a photo where no face is found is scored
    # whole and counted in faces_not_found)
    EvalSet("photos_smile_fold0", "genki4k", "genki4k", "test", crop="auto", flip_too=True),
    EvalSet("smilesmiled_test", "smilesmiled", "smilesmiled", "test", flip_too=True),
    EvalSet("fer2013_privatetest", "fer2013", "fer2013", "PrivateTest", flip_too=True),
    EvalSet("fer2013_privatetest_ferplus", "fer2013", "fer2013", "PrivateTest", ferplus=FERPLUS, flip_too=True),
    *(EvalSet(f"{name}_test", "manifest", f"{name}/manifest.csv", "test", crop="auto") for name in MANIFESTS),
)

VALIDATION_SETS = (
    EvalSet("val_genki4k_fold1", "genki4k", "genki4k", "val", val_fold=1, crop="auto", benchmark="smile",
            calibrates=True),
    EvalSet("val_smilesmiled_fold1", "smilesmiled", "smilesmiled", "val", val_fold=1, benchmark="smile",
            calibrates=True),
    EvalSet("val_fer2013_publictest", "fer2013", "fer2013", "PublicTest", benchmark="emotion"),
    # FER+'s cleaner emotions, and smile labels where its annotators agree
    EvalSet("val_fer2013_publictest_ferplus", "fer2013", "fer2013", "PublicTest", ferplus=FERPLUS, expressive=True,
            calibrates=True),
    *(EvalSet(f"val_{name}", "manifest", f"{name}/manifest.csv", "val", crop="auto",
              expressive=name in EXPRESSIVE_MANIFESTS, calibrates=name in CALIBRATING_MANIFESTS)
      for name in MANIFESTS if name != "kerc2020"),
)

SETS = {"test": TEST_SETS, "validation": VALIDATION_SETS}
# experiments.talking_out's report beside them: OUT seconds in the held-out talking clips' no-smile spans
TALKING_OUT = "talking_out.json"
