"""The HTML report of a real build, rendered by headless Chromium: the chart must be drawn, offline."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from machine import unavailable

from dlint.analyse.report.html import KEPT, WASTED

pytestmark = pytest.mark.engine

# No network, no first-run or sync machinery: the page must render from the file alone.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")
WIDTH, HEIGHT = 1200, 1600
TOLERANCE = 10  # per colour channel: anti-aliased bar edges are not counted, the bars' insides are


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        unavailable("chromium not installed: run scripts/apt-ensure chromium")
    return path


def screenshot(page, tmp_path) -> object:
    from PIL import Image

    png = tmp_path / "report.png"
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                           f"--window-size={WIDTH},{HEIGHT}", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    return Image.open(png).convert("RGB")


def colour_mask(image, colour: str):
    """A 1-bit image of the pixels within TOLERANCE of `colour` (#rrggbb)."""
    from PIL import ImageChops

    target = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    bands = [band.point(lambda v, t=t: 255 if abs(v - t) <= TOLERANCE else 0)
             for band, t in zip(image.split(), target)]
    return ImageChops.logical_and(ImageChops.logical_and(bands[0].convert("1"), bands[1].convert("1")),
                                  bands[2].convert("1"))


def pixels(mask) -> int:
    return mask.histogram()[-1]


def test_the_html_report_draws_its_bar_chart_in_headless_chromium(waste_run, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(waste_run.html)
    image = screenshot(page, tmp_path)
    kept, wasted = colour_mask(image, KEPT), colour_mask(image, WASTED)
    # The two biggest bars (the 1.98 MB base image in the kept colour, the 2 MB deleted download in the
    # waste colour) are each ~460 x 18 pixels; an empty or unstyled page has neither colour at all.
    assert pixels(kept) > 7000 and pixels(wasted) > 7000, (pixels(kept), pixels(wasted))
    left, top, right, bottom = kept.getbbox()
    assert right - left >= 400  # a full-width bar, not a legend swatch
    w_left, w_top, _, _ = wasted.getbbox()
    assert w_left == left  # bars share the chart's baseline
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body><p>no chart</p></body></html>")
    assert colour_mask(screenshot(blank, tmp_path), KEPT).getbbox() is None  # the check can tell
