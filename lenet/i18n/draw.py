"""UI strings of the draw page."""

STRINGS: dict[str, dict[str, str]] = {
}
