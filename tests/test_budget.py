"""Budgets, baselines and the cache gate on hand-made analysis results; the CI report formats they feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from dlint.analyse.budget import BudgetError, Budgets, evaluate, load_baseline, parse_budgets
from dlint.analyse.report import render
from dlint.analyse.report.json import document
from dlint.analyse.steps import AnalysisResult, ImageSummary, StepRecord
from dlint.analyse.units import SizeError, parse_size

MB = 1_000_000


def step(index: int, line: int, instruction: str, size: int | None, cached: bool = False,
         stage: str = "0") -> StepRecord:
    keyword = instruction.split()[0]
    return StepRecord(index=index, stage=stage, line=line, keyword=keyword, instruction=instruction,
                      cached=cached or keyword == "FROM", size=size)


def result(steps: list[StepRecord], layers: int = 3, built: bool = True) -> AnalysisResult:
    image = ImageSummary("sha256:" + "ab" * 32, sum(s.size or 0 for s in steps), layers) if built else None
    return AnalysisResult(dockerfile="Dockerfile", context=".", builder="classic", steps=steps, findings=[],
                          image=image, error=None if built else "boom")


def app_steps(copy_size: int = 1 * MB, extra: list[StepRecord] | None = None) -> list[StepRecord]:
    return [step(1, 1, "FROM base", 2 * MB), *(extra or []), step(2, 3, "COPY app.txt /srv/app.txt", copy_size),
            step(3, 4, "RUN build", 3 * MB)]


def gate_of(budgets: Budgets, res: AnalysisResult, baseline=None):
    res.gate = evaluate(budgets, res, res.steps, baseline)
    return res.gate


def save(tmp_path, res: AnalysisResult, name: str = "base.json") -> str:
    res.gate = evaluate(Budgets(), res, res.steps, None)
    path = tmp_path / name
    path.write_text(render("json", res))
    return str(path)


# --- sizes -----------------------------------------------------------------------------------


def test_sizes_say_which_megabyte_they_mean():
    assert parse_size("200MB").bytes == 200 * 10**6
    assert parse_size("200MiB").bytes == 200 * 2**20
    assert parse_size("200").bytes == 200 and parse_size("1.5gb").bytes == 1_500_000_000
    assert parse_size("200MB").describe() == "200 MB (200000000 bytes; MB = 10^6 bytes)"
    assert parse_size("200MiB").describe() == "200 MiB (209715200 bytes; MiB = 2^20 bytes)"
    assert parse_size("512").describe() == "512 B (a bare number is bytes)"
    for bad in ("200M", "MB", "-5MB", "1.5"):
        with pytest.raises(SizeError):
            parse_size(bad)


def test_bad_budget_options_are_usage_errors():
    with pytest.raises(BudgetError, match="--max-size '20 megs' is not a size"):
        parse_budgets(max_size="20 megs")
    with pytest.raises(BudgetError, match="--max-growth needs --baseline"):
        parse_budgets(max_growth="5%")
    with pytest.raises(BudgetError, match="expected a percentage"):
        parse_budgets(max_growth="lots", baseline="b.json")
    with pytest.raises(BudgetError, match="more growth than any image"):  # float('9' * 400) is inf: a traceback
        parse_budgets(max_growth="9" * 400 + "%", baseline="b.json")
    with pytest.raises(BudgetError, match="between 0 and 1"):
        parse_budgets(min_cache_hit_rate=80)


# --- budgets ---------------------------------------------------------------------------------


def test_max_size_fails_with_the_biggest_step_and_passes_under_the_limit():
    [verdict] = gate_of(parse_budgets(max_size="5MB"), result(app_steps())).verdicts
    assert verdict.passed is False
    assert verdict.message == ("image is 6.0 MB uncompressed, over --max-size 5 MB by 1.0 MB; "
                               "biggest step: line 4 RUN build (3.0 MB)")
    assert verdict.measured == "6.0 MB uncompressed (compressed size not available)"
    [ok] = gate_of(parse_budgets(max_size="6MiB"), result(app_steps())).verdicts
    assert ok.passed is True and ok.measured.startswith("5.7 MiB uncompressed")  # the limit's unit family


def test_max_step_size_names_every_step_over_it_but_not_the_base_image():
    [verdict] = gate_of(parse_budgets(max_step_size="1500kB"), result(app_steps(copy_size=2 * MB))).verdicts
    assert verdict.passed is False
    assert verdict.details == ("line 4 RUN build adds 3.0 MB, limit 1500 kB",
                               "line 3 COPY app.txt /srv/app.txt adds 2.0 MB, limit 1500 kB")
    assert verdict.message == "line 4 RUN build adds 3.0 MB, limit 1500 kB (and 1 more)"
    [ok] = gate_of(parse_budgets(max_step_size="3MB"), result(app_steps())).verdicts  # FROM is 2 MB, not a step
    assert ok.passed is True


def test_max_layers():
    [verdict] = gate_of(parse_budgets(max_layers=2), result(app_steps(), layers=3)).verdicts
    assert (verdict.passed, verdict.message) == (False, "image has 3 layers, over --max-layers 2")
    assert gate_of(parse_budgets(max_layers=3), result(app_steps(), layers=3)).verdicts[0].passed


def test_cache_hit_rate_names_the_first_miss_and_ignores_from():
    steps = [step(1, 1, "FROM base", 0), step(2, 2, "WORKDIR /srv", 0, cached=True),
             step(3, 3, "COPY app.txt /srv/app.txt", 10), step(4, 4, "RUN build", 10), step(5, 5, "CMD run", 0)]
    [verdict] = gate_of(parse_budgets(min_cache_hit_rate=0.8), result(steps)).verdicts
    assert verdict.passed is False
    assert verdict.message == ("cache hit rate 0.25 (1 of 4 steps) is below 0.8; "
                               "first miss: line 3 COPY app.txt /srv/app.txt")
    for s in steps:
        s.cached = True
    assert gate_of(parse_budgets(min_cache_hit_rate=0.8), result(steps)).verdicts[0].passed


def test_a_failed_build_checks_no_budget_and_passes_none():
    gate = gate_of(parse_budgets(max_size="1MB", max_layers=1), result(app_steps(), built=False))
    assert [v.passed for v in gate.verdicts] == [None, None]
    assert gate.failed == [] and gate.verdict_line() == "NOT CHECKED: the build failed"


# --- baselines -------------------------------------------------------------------------------


def test_growth_pairs_steps_by_instruction_not_by_position(tmp_path):
    baseline = load_baseline(save(tmp_path, result(app_steps())))
    # A new ENV line moves the COPY from line 3 to line 4 and from step 2 to step 3; the COPY grew by 5 MB.
    now = result([step(1, 1, "FROM base", 2 * MB), step(2, 3, "ENV A=1", 0),
                  step(3, 4, "COPY app.txt /srv/app.txt", 6 * MB), step(4, 5, "RUN build", 3 * MB)])
    gate = gate_of(parse_budgets(max_growth="1MB", baseline="b"), now, baseline)
    [verdict] = gate.verdicts
    assert verdict.passed is False
    assert verdict.message == ("line 4 COPY app.txt /srv/app.txt grew by 5.0 MB, limit 1 MB; "
                               "in total the image grew by 5.0 MB")
    changes = {c["instruction"]: c["change"] for c in gate.comparison.to_dict()["steps"]}
    assert changes == {"COPY app.txt /srv/app.txt": 5 * MB}  # RUN build did not change although it moved


def test_percent_growth_is_of_the_baseline_image_and_new_steps_count_from_zero(tmp_path):
    baseline = load_baseline(save(tmp_path, result(app_steps())))  # 6 MB
    now = result(app_steps(extra=[step(9, 2, "RUN fetch-assets", 400_000)]))
    [verdict] = gate_of(parse_budgets(max_growth="5%", baseline="b"), now, baseline).verdicts
    assert verdict.limit == "5% of the baseline's 6.0 MB = 300.0 kB"
    assert verdict.message == ("line 2 RUN fetch-assets is new and adds 400.0 kB, limit 5% of the baseline's "
                               "6.0 MB = 300.0 kB; in total the image grew by 400.0 kB")
    [ok] = gate_of(parse_budgets(max_growth="10%", baseline="b"), now, baseline).verdicts
    assert ok.passed is True and ok.measured == "+400.0 kB (6.0 MB → 6.4 MB)"


def test_repeated_instructions_pair_in_order_and_removed_steps_show_as_shrinking(tmp_path):
    twice = [step(1, 1, "FROM base", MB), step(2, 2, "RUN make", MB), step(3, 3, "RUN make", 2 * MB),
             step(4, 4, "RUN old", MB)]
    baseline = load_baseline(save(tmp_path, result(twice)))
    now = result([step(1, 1, "FROM base", MB), step(2, 2, "RUN make", MB), step(3, 3, "RUN make", 4 * MB)])
    gate = gate_of(parse_budgets(max_growth="1MB", baseline="b"), now, baseline)
    assert gate.verdicts[0].message == "line 3 RUN make grew by 2.0 MB, limit 1 MB"
    gone = [c for c in gate.comparison.steps if c.step is None]
    assert [(c.label, c.change) for c in gone] == [("RUN old (line 4 of the baseline)", -MB)]


def test_a_baseline_step_s_instruction_breaks_no_line_of_the_text_report(tmp_path):
    """The baseline is any file: a gone step's line break started a `::set-env` workflow command in the CI log."""
    gone = step(4, 4, "RUN old\n::set-env name=X::1\x1b[2J", MB)
    baseline = load_baseline(save(tmp_path, result([*app_steps(), gone])))
    now = result(app_steps())
    gate_of(parse_budgets(max_growth="1MB", baseline="b"), now, baseline)
    text = render("text", now)
    assert "RUN old\\x0a::set-env name=X::1\\x1b[2J (line 4 of the baseline)" in text
    assert not any(line.startswith("::") for line in text.splitlines())


@pytest.mark.parametrize("content, message", [
    (None, "no such file (write one with --save-baseline"),
    ("{not json", "is not JSON"),
    ('{"image": null, "steps": []}', "has no image.size"),
    ('{"image": {"size": 5}}', "has no steps[] list"),
    ('{"image": {"size": 5}, "steps": [{"stage": "0"}]}', "steps[0] needs stage, instruction, line and size"),
    ("[1, 2]", "has no image.size"),
    # Reports show sizes as floats: a 4,000-digit one was an OverflowError traceback in every format but JSON.
    ('{"image": {"size": 1%s}, "steps": []}' % ("0" * 4000), "has no image.size"),
    ('{"image": {"size": -5}, "steps": []}', "has no image.size"),
    ('{"image": {"size": 5}, "steps": [{"stage": "0", "instruction": "RUN x", "line": 2, "size": 1%s}]}' % ("0" * 40),
     "steps[0] needs stage, instruction, line and size"),
    # A line of JSON true was line True of the baseline in the reports; a negative or 4,000-digit one no line.
    *(('{"image": {"size": 5}, "steps": [{"stage": "0", "instruction": "RUN x", "line": %s, "size": 1}]}' % line,
       "steps[0] needs stage, instruction, line and size") for line in ("true", "-3", "1" + "0" * 4000)),
])
def test_a_missing_or_malformed_baseline_is_an_error_not_a_pass(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BudgetError) as err:
        load_baseline(str(path))
    assert message in str(err.value) and str(path) in str(err.value)


# --- the CI formats --------------------------------------------------------------------------


def failing_result(tmp_path) -> AnalysisResult:
    baseline = load_baseline(save(tmp_path, result(app_steps())))
    now = result(app_steps(copy_size=6 * MB))
    gate_of(parse_budgets(max_size="100MB", max_growth="1MB", baseline="b"), now, baseline)
    return now


def test_json_has_budgets_baseline_cache_and_the_step_change(tmp_path):
    data = document(failing_result(tmp_path))
    assert [(b["budget"], b["passed"]) for b in data["budgets"]] == [("max-size", True), ("max-growth", False)]
    assert data["baseline"]["change"] == 5 * MB and data["cache"]["hits"] == 0
    assert [s["change"] for s in data["steps"]] == [0, 5 * MB, 0]
    assert data["image"]["efficiency"] is None  # waste not measured here
    assert data["waste"] == []


def test_markdown_puts_the_verdict_first_then_total_change_biggest_steps_and_cache(tmp_path):
    text = render("markdown", failing_result(tmp_path))
    lines = text.splitlines()
    assert lines[0] == "## dlint analyse `Dockerfile`: ❌ FAIL: 1 of 2 budgets failed"
    assert "| ❌ fail | `--max-growth` | 1 MB |" in text
    assert "line 3 COPY app.txt /srv/app.txt grew by 5.0 MB, limit 1 MB" in text
    assert re.search(r"\*\*Against the baseline:\*\* 6 MB → 11 MB \(\+5 MB, \+83\.3%\)", text)
    assert "### The 3 biggest steps" in text
    assert text.index("| 3 | `COPY app.txt /srv/app.txt` | 6 MB | +5 MB |") < text.index("| 4 | `RUN build`")
    assert "**Cache:** 0 of 2 steps from the cache (0%)" in text


def test_markdown_of_thousands_of_steps_fits_a_github_job_summary():
    """GitHub refuses a job summary over 1 MiB: 5,000 steps made a 1.6 MB table, so the step table stops at
    STEPS_SHOWN rows and says how many more the JSON report has."""
    long = "RUN " + "x" * 300
    text = render("markdown", result([step(i, i, long, MB, stage="s" * 400) for i in range(1, 5001)]))
    assert len(text.encode()) < 1 << 20
    assert "\n4000 more in the JSON report." in text


def test_markdown_stage_and_instruction_are_shown_escaped_not_as_markup_or_raw_controls():
    """The step table's stage went through a second escaper that let `@team` notify and ESC through raw,
    and the instruction's code span wrote ESC raw: the report can go to a terminal."""
    text = render("markdown", result([step(1, 1, "FROM base", MB),
                                      step(2, 2, "RUN echo \x1b]0;title\x07", MB, stage="@org/team <b>")]))
    assert "\x1b" not in text and "\x07" not in text
    assert "`RUN echo \\x1b]0;title\\x07`" in text
    assert "@&#8203;org/team \\<b\\>" in text


def test_junit_has_one_testcase_per_budget_failing_with_its_reason(tmp_path):
    root = ET.fromstring(render("junit", failing_result(tmp_path)))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["build", "--max-size 100 MB (100000000 bytes; MB = 10^6 bytes)",
                                              "--max-growth 1 MB"]
    assert root.get("tests") == "3" and root.get("failures") == "1"
    failure = cases[2].find("failure")
    assert failure is not None and failure.get("message").startswith("line 3 COPY app.txt /srv/app.txt grew by 5.0 MB")
    assert cases[1].find("failure") is None
    failed_build = ET.fromstring(render("junit", gate_result_for_failed_build()))
    assert failed_build.find(".//testcase[@name='build']/failure") is not None
    assert len(failed_build.findall(".//skipped")) == 1


def gate_result_for_failed_build() -> AnalysisResult:
    res = result(app_steps(), built=False)
    gate_of(parse_budgets(max_size="1MB"), res)
    return res


def test_html_is_one_self_contained_file_with_an_svg_chart(tmp_path):
    page = render("html", failing_result(tmp_path))
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    assert re.findall(r"(?:src|href)=", page) == []
    assert page.count('fill="#2563eb"') >= 4  # the legend and one bar per step with bytes
    assert "line 3 COPY app.txt /srv/app.txt grew by 5.0 MB, limit 1 MB" in page


def test_a_baseline_that_is_not_a_report_file_is_one_error_never_a_hang(tmp_path):
    """/dev/zero grew to 24 GB, a FIFO hung, JSON nested 200,000 deep was a traceback."""
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    for path, message in [("/dev/zero", "not a regular file (a character device)"), (fifo, "not a regular file (a FIFO)"),
                          (deep, "nested deeper than any report")]:
        with pytest.raises(BudgetError, match=re.escape(message)):
            load_baseline(str(path))


@pytest.mark.parametrize("text", ["9" * 400 + "MB", "9" * 310 + ".5GiB", "\u0661\u0662MB", "\u0661\u0662"])
def test_sizes_past_any_image_or_in_other_digits_are_refused(text):
    with pytest.raises(SizeError):
        parse_size(text)


def test_each_step_s_change_is_found_in_one_walk_of_the_comparison(tmp_path):
    """Each report row asks for its step's change: a search per row took 4 s to render 20,000 steps as JSON."""
    class Walked(list):
        walks = 0

        def __iter__(self):
            Walked.walks += 1
            return super().__iter__()

    steps = [step(i, i, f"RUN s{i}", MB) for i in range(1, 41)]
    baseline = load_baseline(save(tmp_path, result(steps)))
    now = result([step(i, i, f"RUN s{i}", 2 * MB) for i in range(1, 41)])
    comparison = gate_of(Budgets(), now, baseline).comparison
    comparison.steps = Walked(comparison.steps)
    assert [comparison.of(s).change for s in now.steps] == [MB] * 40
    assert comparison.of(steps[0]) is None and Walked.walks == 1


def test_the_images_cache_bytes_are_null_when_no_layer_was_read_not_an_empty_measurement():
    """`{}` said "measured: nothing in the cache directories"; with --no-waste nothing was measured."""
    image = ImageSummary(id="sha256:" + "0" * 64, size=10, layers=1)
    unread = AnalysisResult(dockerfile="Dockerfile", context=".", builder="classic", steps=[], findings=[], image=image)
    assert document(unread)["image"]["probes"] is None
    assert "cache directories" not in render("text", unread)
    unread.image_probes = {}
    assert document(unread)["image"]["probes"] == {}
