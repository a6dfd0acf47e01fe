"""Label vocabularies shared by data loaders, the model, evaluation and the game."""

# FER2013's order: index i is FER2013's emotion code i.
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EMOTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}
HAPPY = EMOTION_INDEX["happy"]
NEUTRAL = EMOTION_INDEX["neutral"]
DISGUST = EMOTION_INDEX["disgust"]
# The non-smiling expressive emotions: faces that often bare teeth or open the mouth without a
# smile (the false smiles a player pays for). Neutral is left out: a calm face may hold a quiet smile.
EXPRESSIVE_NON_SMILE: tuple[int, ...] = tuple(EMOTION_INDEX[n] for n in ("angry", "disgust", "fear", "sad", "surprise"))

# Other spellings met in public layouts (FER2013 image folders, FER+ columns).
EMOTION_ALIASES: dict[str, str] = {
    "anger": "angry", "disgusted": "disgust", "fearful": "fear", "happiness": "happy",
    "sadness": "sad", "surprised": "surprise",
}


def emotion_index(name: str) -> int:
    """Index of an emotion name (case-insensitive, common aliases accepted); KeyError if unknown."""
    key = name.strip().lower()
    key = EMOTION_ALIASES.get(key, key)
    return EMOTION_INDEX[key]
