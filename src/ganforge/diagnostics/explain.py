"""explain(summary): a finished run's summary.json told in plain English, with what to try next."""

from __future__ import annotations

import math
import numbers
import re
import textwrap
from typing import Any

import numpy as np

from ganforge.diagnostics.collapse import RECOVERED
from ganforge.diagnostics.equilibrium import CAVEAT

WIDTH = 88
LOG4 = math.log(4.0)  # -log 4 ~ -1.386 is the game's value at the optimum
JS_MAX = math.log(2.0)  # the JS divergence of two distributions with nothing in common, in nats
D_STAR_CLOSE = 0.05  # the learned D within 0.05 of the best possible D*, on average
GAME_VALUE_NOISE = 0.02  # V within this of -log 4 reads as "at the optimum"

# Each kind of finding in a few plain words.
KIND_TITLES = {
    "equilibrium": "equilibrium (D right about half the time)",
    "mode_collapse": "mode collapse (G's samples lost their variety)",
    "discriminator_wins": "the discriminator wins (G gets no useful signal)",
    "divergence": "divergence (numbers blew up to NaN or infinity)",
    "oscillation": "oscillation (the two players cycle instead of settling)",
    "column_fit": "columns that fit badly",
    "pair_fit": "column pairs whose relation was lost",
}
STOPPED = {
    "steps": "It ran all the steps it was asked for.",
    "equilibrium": ("It stopped early because D's accuracy stayed near 50% (--stop-at-equilibrium, "
                    "the source's stopping rule)."),
    "interrupted": "It was interrupted (Ctrl-C); continue it with `ganforge train --out DIR --resume`.",
    "divergence": ("It stopped because training diverged (numbers became NaN or infinite); "
                   "the last good checkpoint was kept."),
}
TRY = re.compile(r"\bTry .*?\.(?=\s|$)")  # the detectors' remedies sentence, "Try --flag (why) or ..."


def explain(summary: dict[str, Any]) -> str:
    """A few paragraphs: what the run did, how good the result is against its floors, each
    diagnostic finding with its step, and what to try next."""
    summary = summary if isinstance(summary, dict) else {}
    findings = _findings(summary)
    paragraphs = [_what_ran(summary), _privacy(summary), _quality(summary), _theory(summary),
                  _diagnosis(findings), _next(summary, findings)]
    return "\n\n".join(p for p in paragraphs if p)


# --- reading the summary --------------------------------------------------------------------

def _num(summary: dict[str, Any], key: str) -> float | None:
    value = summary.get(key)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return None
    return float(value)


def _findings(summary: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The diagnostics as dicts, in step order; None when the summary holds none at all."""
    raw = summary.get("diagnostics")
    if not isinstance(raw, list):
        return None
    items = [d if isinstance(d, dict) else {"message": str(d)} for d in raw]
    steps = [_num(d, "step") for d in items]
    order = sorted(range(len(items)), key=lambda i: (steps[i] is None, steps[i] or 0, i))
    return [items[i] for i in order]


def _fill(text: str, bullet: bool = False) -> str:
    """Wrapped to WIDTH without splitting a word or a --flag at its hyphens; as a "- " item if bullet."""
    indent = ("- ", "  ") if bullet else ("", "")
    return textwrap.fill(text, WIDTH, initial_indent=indent[0], subsequent_indent=indent[1],
                         break_on_hyphens=False, break_long_words=False)


def _count(value: float) -> str:
    return f"{value:,.0f}"


# --- paragraphs -----------------------------------------------------------------------------

def _what_ran(summary: dict[str, Any]) -> str:
    model, loss, data = summary.get("model") or "gan", summary.get("loss"), summary.get("data")
    if model == "gan":
        text = ("This run trained a GAN: a generator G that turns random noise into samples, and a "
                "discriminator D that tries to tell those samples from the real data, each learning from "
                "the other")
    else:
        text = f"This run trained the {model} model"
    if data:
        text += f", on {data}"
    if loss and model == "gan":
        text += f", with the {loss} loss"
    steps, seconds, rate = _num(summary, "steps"), _num(summary, "wall_seconds"), _num(summary, "steps_per_second")
    if steps is not None:
        text += f", for {_count(steps)} steps"
        details = [f"{seconds:.0f} s" if seconds is not None else None,
                   f"{rate:.1f} steps/s" if rate is not None else None,
                   f"seed {_num(summary, 'seed'):.0f}" if _num(summary, "seed") is not None else None]
        details = [d for d in details if d]
        if details:
            text += f" ({', '.join(details)})"
    text += "."
    reason = summary.get("stopped_because")
    if reason:
        text += " " + STOPPED.get(reason, f"It stopped because: {reason}.")
    return _fill(text)


def _privacy(summary: dict[str, Any]) -> str:
    """A DP run's guarantee as summary.json states it, with what it covers and what it does not."""
    privacy = summary.get("privacy")
    if not isinstance(privacy, dict):
        return ""
    lines = [_fill("Differential privacy: " + str(privacy.get("statement", "")))]
    for key, title in (("covers", "It covers:"), ("does_not_cover", "It does not cover:")):
        items = privacy.get(key) or []
        if items:
            lines.append(title)
            lines.extend(_fill(str(item), bullet=True) for item in items)
    if privacy.get("sampling"):
        lines.append(_fill(str(privacy["sampling"])))
    return "\n".join(lines)


def _quality(summary: dict[str, Any]) -> str:
    sentences = []
    covered, total, high = _num(summary, "modes_covered"), _num(summary, "modes_total"), \
        _num(summary, "high_quality_fraction")
    if covered is not None and total == 1:
        sentences.append("G's samples land on the real data's single mode (its peak)." if covered >= 1 else
                         "G's samples miss the real data's single mode (its peak).")
    elif covered is not None and total is not None:
        sentences.append(f"G's samples land on {covered:.0f} of the {total:.0f} modes (the separate clusters "
                         "of the real data)" + ("." if covered < total else ", all of them."))
    if high is not None:
        sentences.append(f"{high * 100:.0f}% of G's samples are high quality, i.e. within 3 standard deviations of a "
                         "mode (real data would score nearly 100%).")
    reverse_kl = _num(summary, "reverse_kl")
    if reverse_kl is not None and total is not None and total > 1:
        sentences.append(f"The reverse KL of {reverse_kl:.3f} measures how unevenly those samples share the "
                         f"modes: 0 is a perfectly even share, log {total:.0f} = {math.log(total):.2f} means "
                         "one mode (or none) gets them all.")
    js, floor = _num(summary, "js_divergence"), _num(summary, "js_divergence_floor")
    if js is not None:
        text = (f"The Jensen-Shannon (JS) divergence between histograms of generated and real data is "
                f"{js:.3f} nats (0 means the same distribution; log 2 = {JS_MAX:.3f} means no overlap at all)")
        if floor is not None:
            text += (f"; two samples of real data score {floor:.3f}, the floor set by the estimate's own noise, "
                     f"so the result is {_verdict(js, floor)}.")
        else:
            text += "."
        sentences.append(text)
    accuracy = _num(summary, "d_acc")
    if accuracy is not None:
        sentences.append(f"At the end D was right about {accuracy * 100:.0f}% of the time: 50% means it can no "
                         "longer tell real from generated, which is where the theory says a perfect G leaves "
                         "it; near 100% means D wins outright.")
    spread = _num(summary, "spread_ratio")
    if spread is not None:
        sentences.append(f"The generated samples spread {spread:.2f} times as wide as the real ones "
                         "(1 is the same; well under 1 means too little variety).")
    return _fill(" ".join(sentences)) if sentences else ""


def _verdict(js: float, floor: float) -> str:
    if js <= 2 * floor + 0.01:
        return "as close to the real data as this measure can tell"
    if js <= 0.1:
        return f"close to the real data ({js / max(floor, 1e-6):.0f} times the floor: blurred or uneven, not wrong)"
    if js <= 0.3:
        return "only partly right (typically missing modes or badly blurred)"
    return "far from the real data"


def _theory(summary: dict[str, Any]) -> str:
    theory = summary.get("theory") if isinstance(summary.get("theory"), dict) else {}
    sentences = []
    mae = _num(theory, "d_star_mae")
    if mae is not None:
        close = "close to it" if mae <= D_STAR_CLOSE else "still some way from it"
        sentences.append("For data with a known density the best possible discriminator can be computed: "
                         "D*(x) = p_data(x) / (p_data(x) + p_G(x)), the chance that a point at x is real given "
                         "how densely each side puts points there. The learned D differs from D* by "
                         f"{mae:.3f} on average (0 is identical; under {D_STAR_CLOSE} is close), so it is {close}.")
        sentences.append(_what_d_star_mae_means(summary, mae))
    value = _num(theory, "game_value")
    if value is None:
        value = _num(summary, "game_value")
    if value is not None:
        gap = value + LOG4
        if abs(gap) <= GAME_VALUE_NOISE:
            where = "That is the optimum, within noise."
        elif gap > 0:
            where = f"It is {gap:.3f} above it: D can still tell generated samples from real ones."
        else:
            where = (f"It is {-gap:.3f} below it: D is doing worse than simply answering 1/2, so it is not "
                     "the best discriminator for this G.")
        sentences.append(f"The value of the game, V(D, G) = E log D(x) + E log(1 - D(G(z))), is {value:.3f}. Its "
                         f"theoretical optimum is -log 4 = {-LOG4:.3f}, reached when G reproduces the data "
                         f"exactly and D answers 1/2 everywhere (right one time in two). {where}")
    js = _num(theory, "js_divergence")
    js = js if js is not None else _num(theory, "js_divergence_from_value")
    if js is not None:
        sentences.append(f"With the best D, V = -log 4 + 2 JSD, so the theory's JS divergence between the data "
                         f"and G is {js:.3f} nats (0 at the optimum).")
    return _fill(" ".join(sentences)) if sentences else ""


def _what_d_star_mae_means(summary: dict[str, Any], mae: float) -> str:
    """What the distance to D* means for refined sampling: D/(1 - D) estimates p_data/p_G."""
    said = ("Read the other way, D/(1 - D) estimates p_data(x)/p_G(x), which is what refined sampling "
            "(ganforge sample --refine drs, mh or langevin) uses to keep G's samples where the data is.")
    if mae <= D_STAR_CLOSE:
        return said + " With D this close to D*, that estimate is sound and refinement should help most."
    shape = ""
    modes, std = _toy_modes(summary.get("data"))
    if modes is not None and std and len(modes) > 1:
        gaps = np.sqrt(((modes[:, None, :] - modes[None, :, :]) ** 2).sum(-1))
        spacing = float(gaps[gaps > 0].min())
        shape = (f" Here the modes have std {std:g} and lie {spacing:.3g} apart: a D made of smooth layers "
                 f"cannot rise and fall that sharply, so where G's modes are a little too wide or off-centre it "
                 f"cannot follow D*, and the samples on the bridges between modes look only a little less "
                 f"real to it than those on the modes.")
    return (said + shape + " With D this far from D*, the estimate is coarse: refinement helps less, and "
            "calibrating D (calibration.json) corrects its scale, not its shape.")


def _toy_modes(name: Any) -> tuple[Any, float | None]:
    """(mode centres, mode std) of a built-in toy distribution, or (None, None)."""
    import ganforge.data  # noqa: F401  (registers the toy distributions; NumPy only, no torch)
    from ganforge.registry import datasets

    if not isinstance(name, str) or name not in datasets:
        return None, None
    member = datasets.get(name)
    return getattr(member, "modes", None), getattr(member, "mode_std", None)


def _diagnosis(findings: list[dict[str, Any]] | None) -> str:
    if findings is None:
        return _fill("This summary holds no diagnostics (it may come from an older ganforge).")
    if not findings:
        return _fill("The diagnostics noticed nothing wrong: no mode collapse (loss of variety), no "
                     "discriminator winning outright, no divergence (numbers blowing up) and no oscillation "
                     "(the players cycling).")
    lines = ["What the diagnostics noticed, in step order:"]
    for item in findings:
        step, kind = _num(item, "step"), str(item.get("kind") or "note")
        where = f"Step {_count(step)}" if step is not None else "At some step"
        text = f"{where}, {KIND_TITLES.get(kind, kind.replace('_', ' '))}: {item.get('message', '')}"
        lines.append(_fill(text, bullet=True))
    return "\n".join(lines)


def _next(summary: dict[str, Any], findings: list[dict[str, Any]] | None) -> str:
    suggestions = []
    collapses = [f for f in findings or [] if f.get("kind") == "mode_collapse"]
    collapse_open = bool(collapses) and RECOVERED not in str(collapses[-1].get("message", ""))
    for item in findings or []:
        kind = item.get("kind")
        if kind == "equilibrium" and CAVEAT not in str(item.get("message", "")):
            continue  # a plain equilibrium is good news
        if kind == "mode_collapse" and not collapse_open:
            continue
        for sentence in TRY.findall(str(item.get("message", ""))):
            if sentence not in suggestions:
                suggestions.append(sentence)
    if suggestions:
        return _fill("What to try next: " + " ".join(suggestions)) if len(suggestions) == 1 else \
            "What to try next:\n" + "\n".join(_fill(s, bullet=True) for s in suggestions)
    js, floor, steps = _num(summary, "js_divergence"), _num(summary, "js_divergence_floor"), _num(summary, "steps")
    if js is not None and floor is not None and js > 2 * floor + 0.01:
        more = f" --steps {2 * steps:.0f}" if steps is not None else ""
        return _fill("What to try next: nothing went visibly wrong, but the result is not yet as close to the "
                     "data as it could be; train longer, e.g. continue this run with "
                     f"`ganforge train --out DIR --resume{more}`.")
    return _fill("What to try next: nothing pressing. Draw samples with `ganforge sample DIR -n 1000 -o "
                 "samples.csv`, or compare with other runs with `ganforge compare DIR...`.")
