"""Layer sizes per build step, from `image.history()`.

Classic builds name every step's image, and that id is the `Id` of the step's
history row: sizes map exactly. BuildKit images have `<missing>` ids below the
top, so their rows are matched to the built stage's instructions by the
instruction keyword that starts `CreatedBy`, newest first.

A FROM step carries the size of the image it names (0 for scratch and for an
earlier stage, whose bytes are on that stage's rows), so the steps of the
final stage and its ancestors add up to the image size.
"""

from __future__ import annotations

import docker

from dlint.analyse.steps import ImageSummary, StepRecord
from dlint.model import Dockerfile, Instruction, Stage


def image_summary(api: docker.APIClient, image_id: str) -> ImageSummary:
    attrs = api.inspect_image(image_id)
    return ImageSummary(id=attrs["Id"], size=int(attrs["Size"]), layers=len(attrs.get("RootFS", {}).get("Layers") or ()))


def classic_sizes(api: docker.APIClient, df: Dockerfile, steps: list[StepRecord], history: list[dict],
                  rowless_empty: bool = False) -> None:
    """Fill `size` (and the full `image_id`) of each step from its history row.

    `history` is the final image's (empty without one); only the stages whose
    rows it lacks have theirs fetched. Podman (`rowless_empty`) names an image
    for ENV or WORKDIR too but lists rows only for layers: a step whose image
    has no row made no layer.
    """
    rows: dict[str, dict] = {row["Id"]: row for row in history}
    tops = {s.stage: s.image_id for s in steps if s.image_id and s.keyword != "FROM"}
    for image_id in tops.values():
        if _row_for(rows, image_id) is None:
            for row in api.history(image_id):
                rows[row["Id"]] = row
    for step in steps:
        if step.keyword == "FROM":
            step.size = _base_size(api, df, step, by_name=rowless_empty)
        elif step.stage == "global":
            step.size = 0
        elif step.image_id:
            row = _row_for(rows, step.image_id)
            if row is not None:
                step.image_id = row["Id"]
                step.size = int(row["Size"])
            elif rowless_empty:
                step.size = 0


def _row_for(rows: dict[str, dict], short_id: str) -> dict | None:
    prefix = short_id.removeprefix("sha256:")  # Podman's rows name ids without the algorithm
    return next((row for rid, row in rows.items() if rid.removeprefix("sha256:").startswith(prefix)), None)


def _base_size(api: docker.APIClient, df: Dockerfile, step: StepRecord, by_name: bool = False) -> int | None:
    """The base image's size; Podman names no image after FROM, so `by_name` looks up the reference itself."""
    stage = _stage_of_line(df, step.line)
    if by_name and stage is not None and stage.parent is None and not step.image_id \
            and "$" not in stage.base and stage.base.lower() != "scratch":
        step.image_id = stage.base
    if stage is None or stage.parent is not None or not step.image_id:
        return 0 if stage is not None else None
    attrs = api.inspect_image(step.image_id)
    step.image_id = attrs["Id"]
    return int(attrs["Size"])


def _stage_of_line(df: Dockerfile, line: int) -> Stage | None:
    return next((s for s in df.stages if s.from_instruction.start_line == line), None)


def buildkit_sizes(df: Dockerfile, steps: list[StepRecord], rows: list[dict], final: Stage) -> None:
    """Sizes for the steps of the final stage and the stages it builds on; others stay unknown.

    `rows` is the image's history, newest first.
    """
    chain = ancestry(df, final)
    by_index = {s.index: s for s in steps}
    matched = _buildkit_rows(chain, rows)
    for r, instr in enumerate(matched):
        step = by_index.get(instr.index + 1)
        if step is not None:
            step.size = int(rows[r]["Size"])
            if rows[r]["Id"].startswith("sha256:"):
                step.image_id = rows[r]["Id"]
    base_bytes = sum(int(row["Size"]) for row in rows[len(matched):])
    for stage in chain:
        step = by_index.get(stage.from_instruction.index + 1)
        if step is not None:
            step.size = base_bytes if stage is chain[0] else 0


def _buildkit_rows(chain: list[Stage], rows: list[dict]) -> list[Instruction]:
    """The instruction of each of the newest history rows, newest first; the rows after them are the base's."""
    instructions = [i for stage in chain for i in stage.instructions[1:]]
    matched: list[Instruction] = []
    for instr in reversed(instructions):
        if len(matched) >= len(rows):
            break
        if _keyword(rows[len(matched)]) == instr.keyword:
            matched.append(instr)
        # else: this instruction left no history row (a stage-level ARG, for example)
    return matched


def row_owners(df: Dockerfile, steps: list[StepRecord], rows: list[dict], final: Stage,
               builder: str) -> list[StepRecord | None]:
    """The step that wrote each of the image's history `rows` (newest first, as `api.history` gives them).

    The same matching the sizes come from: a classic step by its image id, a
    BuildKit step by its place among the instructions. Rows below those are
    the base image's and belong to the FROM of the first stage in the chain.
    """
    by_index = {s.index: s for s in steps}
    chain = ancestry(df, final)
    base = by_index.get(chain[0].from_instruction.index + 1)
    if builder in ("classic", "podman"):
        by_id = {s.image_id: s for s in steps if s.image_id and s.keyword != "FROM"}
        return [by_id.get(row["Id"], base) for row in rows]
    owners: list[StepRecord | None] = [by_index.get(i.index + 1) for i in _buildkit_rows(chain, rows)]
    return owners + [base] * (len(rows) - len(owners))


def ancestry(df: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage and the earlier stages it is built FROM, root first."""
    chain = [stage]
    while chain[0].parent is not None:
        chain.insert(0, df.stages[chain[0].parent])
    return chain


def _keyword(row: dict) -> str:
    # BuildKit writes the instruction itself: "RUN /bin/sh -c ... # buildkit", "COPY a b # buildkit", "ENV A=1".
    created_by = (row.get("CreatedBy") or "").strip()
    return created_by.split(maxsplit=1)[0].upper() if created_by else ""
