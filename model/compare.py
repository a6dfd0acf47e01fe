"""Only model/ship_rule.py's import of CompareError, which lives in model/errors.py; the paired
comparison itself is experiments/compare.py. Goes once ship_rule imports model.errors."""
from model.errors import CompareError

__all__ = ["CompareError"]
