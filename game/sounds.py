"""Sound effects synthesised with numpy at start-up: no sound files ship with the game.

A machine without an audio device plays nothing; that is logged once, never raised.
The audio device is opened by ``start()``, which the game calls once it knows its source,
with the C libraries' own complaints (ALSA's "cannot find card" lines) kept off the terminal.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys

import numpy as np

log = logging.getLogger(__name__)

RATE = 44100


def tone(freq: float, seconds: float, shape: str = "sine", volume: float = 0.5) -> np.ndarray:
    """Mono float wave in -1..1 with a short attack and an exponential decay (no clicks)."""
    t = np.arange(int(RATE * seconds)) / RATE
    phase = 2 * np.pi * freq * t
    wave = np.sign(np.sin(phase)) * 0.6 if shape == "square" else np.sin(phase)
    attack = np.minimum(1.0, t / 0.005)
    decay = np.exp(-3.0 * t / seconds)
    return volume * wave * attack * decay


def countdown_beep() -> np.ndarray:
    return tone(880, 0.15)


def go_beep() -> np.ndarray:
    return tone(1320, 0.35)


def out_buzzer() -> np.ndarray:
    # Two detuned low squares beat against each other: the game-show "wrong answer" sound.
    return 0.5 * (tone(110, 0.8, "square") + tone(116.5, 0.8, "square"))


def win_jingle() -> np.ndarray:
    notes = (523.25, 659.25, 783.99, 1046.5)   # C5 E5 G5 C6
    parts = [tone(f, 0.14 if i < 3 else 0.45) for i, f in enumerate(notes)]
    return np.concatenate(parts)


EFFECTS = {"beep": countdown_beep, "go": go_beep, "out": out_buzzer, "win": win_jingle}


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 for the block: C libraries (ALSA, via SDL) print there directly,
    past Python's sys.stderr. Our own messages go through logging, outside such a block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):   # no real descriptor 2 (an embedded or captured stderr)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Sounds:
    """``play(name)`` for name in EFFECTS; silent when muted or when there is no audio device.
    ``start=False`` leaves the device closed until ``start()``."""

    def __init__(self, enabled: bool = True, start: bool = True):
        self.enabled = enabled
        self.started = False
        self._sounds: dict[str, object] = {}
        if start:
            self.start()

    def start(self) -> None:
        """Open the audio device and synthesise the effects (once)."""
        if self.started:
            return
        self.started = True
        try:
            import pygame
            if not pygame.mixer.get_init():
                with quiet_stderr():
                    pygame.mixer.init(frequency=RATE, size=-16, channels=2)
            freq, _, channels = pygame.mixer.get_init()
            for name, make in EFFECTS.items():
                wave = make()
                if freq != RATE:  # the device may insist on its own rate: resample, keep the pitch
                    wave = np.interp(np.arange(int(len(wave) * freq / RATE)) * RATE / freq,
                                     np.arange(len(wave)), wave)
                pcm = (np.clip(wave, -1, 1) * 32767).astype(np.int16)
                pcm = np.repeat(pcm[:, None], channels, axis=1) if channels > 1 else pcm
                self._sounds[name] = pygame.sndarray.make_sound(np.ascontiguousarray(pcm))
        except Exception as exc:  # no device, no driver, no mixer build: the game goes on silent
            self._sounds = {}
            log.info("sound off: no audio device (%s)", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

    @property
    def available(self) -> bool:
        return bool(self._sounds)

    def play(self, name: str) -> None:
        if self.enabled and name in self._sounds:
            self._sounds[name].play()
