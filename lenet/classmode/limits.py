"""Rate limits and size caps for class mode, as named constants, and the limiter for guessing codes."""

from __future__ import annotations

import threading
import time
from collections import deque

# Guessing codes: per session key (the page passes its session's id), counted in this process's memory. Only
# wrong codes count. 10 a minute is plenty for a student who mistypes and makes a search of 86 million codes
# hopeless; a new session gets a fresh allowance, which is why the code space is large as well.
MAX_CODE_GUESSES = 10
GUESS_WINDOW_S = 60.0
MAX_GUESS_KEYS = 10_000  # sessions remembered at most; the oldest are forgotten first

# Floods: counted in the database (per member, so every replica sees the same count). A student draws a digit
# in a few seconds at best; 5 in 10 s lets a quick student through and slows a script at once.
FLOOD_MAX_DIGITS = 5
FLOOD_WINDOW_S = 10.0

# A class's size: the wall and the fine-tuning run stay quick even if many sessions join and send.
MAX_CLASS_MEMBERS = 300
MAX_CLASS_DIGITS = 5_000

# Text caps, in characters. Text is stored as given (capped), and shown as text, never markup.
MAX_NICKNAME_CHARS = 40
MAX_PROMPT_CHARS = 200
MAX_LINK_CHARS = 500
MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 100
MAX_OPTIONS = 10


class GuessLimiter:
    """Counts wrong join codes per session key in a sliding window; thread-safe, one per process."""

    def __init__(self, limit: int = MAX_CODE_GUESSES, window_s: float = GUESS_WINDOW_S, clock=time.monotonic):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        misses = self._misses.setdefault(key, deque())
        horizon = self.clock() - self.window_s
        while misses and misses[0] <= horizon:
            misses.popleft()
        return misses

    def blocked(self, key: str) -> bool:
        """Whether `key` has used up its wrong guesses for now."""
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def miss(self, key: str) -> None:
        """Record one wrong guess by `key`."""
        with self._lock:
            self._recent(key).append(self.clock())
            if len(self._misses) > MAX_GUESS_KEYS:  # dicts keep insertion order: drop the oldest key
                del self._misses[next(iter(self._misses))]
