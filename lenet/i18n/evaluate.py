"""UI strings of the evaluate page."""

STRINGS: dict[str, dict[str, str]] = {
}
