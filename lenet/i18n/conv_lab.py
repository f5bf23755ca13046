"""UI strings of the conv_lab page."""

STRINGS: dict[str, dict[str, str]] = {
}
