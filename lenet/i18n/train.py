"""UI strings of the train page."""

STRINGS: dict[str, dict[str, str]] = {
}
