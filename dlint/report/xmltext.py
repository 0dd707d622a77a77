"""Serialising the XML reports: ElementTree escapes markup but not characters XML forbids."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from dlint.output import utf8_text

# XML 1.0 has no way to write these, escaped or not; a Dockerfile may still contain them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """`text` as XML can hold it: a forbidden character as U+FFFD, and a lone surrogate (a byte of a name
    that is not UTF-8) as `\\xNN` (output.utf8_text), or the report is not UTF-8 and no reader takes it."""
    return _FORBIDDEN.sub("\ufffd", utf8_text(text))


def to_text(root: ET.Element) -> str:
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
