"""The dive-like view of an image without a Dockerfile: each layer's size, waste, cache bytes and history command."""

from __future__ import annotations

from dlint.analyse import waste
from dlint.analyse.contents import probe_layers
from dlint.analyse.history import HistoryError, entries
from dlint.analyse.saved import SavedImage
from dlint.analyse.units import human_size
from dlint.output import printable


def layer_commands(config: dict, layer_count: int) -> list[str | None]:
    """The history command of each layer, oldest first (history.HistoryError when it names more layers)."""
    commands: list[str | None] = [e.created_by for e in entries(config, layer_count) if e.layer is not None]
    return (commands + [None] * layer_count)[:layer_count]


def render(saved: SavedImage) -> str:
    """One line per layer, then the image's totals and its biggest waste entries."""
    report = waste.account(saved.layers, [None] * len(saved.layers))
    commands = layer_commands(saved.config, len(saved.layers))
    probes = probe_layers(saved.layers)
    lines = [f"{'LAYER':>5}  {'SIZE':>9}  {'CACHE DIRS':>10}  COMMAND"]
    for i, (layer, command, probe) in enumerate(zip(saved.layers, commands, probes, strict=True), 1):
        shown = printable(command) if command is not None else "(no history entry)"
        lines.append(f"{i:>5}  {human_size(layer.size):>9}  {human_size(sum(probe.values())):>10}  {shown[:200]}")
    lines.append(f"image: {len(saved.layers)} layers, {human_size(report.stored_bytes)} stored, "
                 f"{human_size(report.wasted_bytes)} wasted (efficiency {report.efficiency:.1%})")
    for entry in report.entries[:10]:
        lines.append(f"  wasted {human_size(entry.bytes):>9}  {printable(entry.path)} ({entry.kind})")
    return "\n".join(lines) + "\n"


def run_layers(read, source: str, write) -> int:
    """`dlint analyse --archive|--image` without a Dockerfile: the layer table; bad input is one line and exit 2."""
    from dlint import exitcodes
    from dlint.analyse.saved import SaveError
    from dlint.output import say

    try:
        table = render(read())
    except SaveError as exc:
        say(str(exc))
        return exitcodes.USAGE
    except HistoryError as exc:
        say(f"{source}: {exc}")
        return exitcodes.USAGE
    write(table, None)
    return exitcodes.OK
