"""Regenerate the pictures in docs/: each script's default run with --plot.

    python tools/make_gallery.py                        # every script, a few minutes
    python tools/make_gallery.py --only echo_full       # just those (comma-separated)
    python tools/make_gallery.py --readme-only          # rewrite the README block, run nothing

Each script runs as a user would run it (a subprocess with its default flags) and writes
docs/NAME.png and docs/NAME.json; the README's gallery block (between its gallery markers)
is then rewritten from every docs/NAME.json there is: the picture, a one-line caption (the
script's own `metrics["headline"]` and its training seconds), and a link to the script.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
BEGIN, END = "<!-- gallery: begin -->", "<!-- gallery: end -->"


def command(script: Path) -> list:
    """The gallery run of ``script``, as the README states it."""
    return [script.name, "--quiet", "--examples", "0",
            "--plot", f"docs/{script.stem}.png", "--metrics", f"docs/{script.stem}.json"]


def _fallback(metrics: dict) -> str:
    """Captions for scripts whose metrics have no ``headline`` yet."""
    pct = lambda x: f"{100 * x:.2f}%"  # noqa: E731
    name = metrics.get("script")
    if name in ("echo_full", "echo_partial"):
        return f"Held-out sequence accuracy {pct(metrics['sequence_accuracy'])}."
    if name == "reverse_bidirectional":
        return ("Accuracy per output position: "
                + "; ".join(f"{model} {', '.join(f'{100 * a:.0f}' for a in scores['per_position_accuracy'])}"
                            for model, scores in metrics["models"].items()) + " (%).")
    if name == "stateful_alphabet":
        return "This run vs the tutorial: " + "; ".join(
            f"{exp} {pct(s['accuracy'])} ({pct(s['tutorial_accuracy'])})"
            for exp, s in metrics["experiments"].items()) + "."
    if name == "lstm_shapes":
        stateful, windows = metrics["stateful"], metrics["windows"]
        return (f"Stateful batches vs the whole sequence: largest difference "
                f"{stateful['max_abs_difference']:.1e}; resetting every batch: "
                f"{stateful['reset_difference']:.2f}; the last {metrics['timesteps']}-step "
                f"window vs the whole sequence: {windows['last_window_difference']:.2f}.")
    if name == "forecast_feedback":
        return "RMSE 1 / 10 steps ahead: " + "; ".join(
            f"{n} {v['rmse_per_step'][0]:.3f} / {v['rmse_per_step'][min(9, len(v['rmse_per_step']) - 1)]:.3f}"
            for n, v in metrics["methods"].items()) + "."
    return ""


def caption(metrics: dict) -> str:
    """One line a reader can check against the picture: the script's headline (its main
    result, written by the script) and the training seconds of this run."""
    text = str(metrics.get("headline") or "").strip() or _fallback(metrics)
    if text and text[-1] not in ".!?":
        text += "."
    seconds = metrics.get("train_seconds")
    if isinstance(seconds, (int, float)):
        text += f" Trained in {seconds:.1f} s." if text else f"Trained in {seconds:.1f} s."
    return text


def gallery_block() -> str:
    """The README's gallery, between the markers, from every docs/NAME.json of a script."""
    entries = []
    for script in sorted(ROOT.glob("*.py")):
        json_path, png = DOCS / f"{script.stem}.json", DOCS / f"{script.stem}.png"
        if not json_path.exists() or not png.exists():
            continue
        text = caption(json.loads(json_path.read_text()))
        # Caption and picture in one paragraph (3 lines an entry: the README stays short);
        # the picture is wider than the text, so it starts on a line of its own.
        entries.append(f"**[`{script.name}`]({script.name})**: {text}\n"
                       f"![{script.stem}: the default run's picture](docs/{png.name})\n")
    return f"{BEGIN}\n" + "\n".join(entries) + f"{END}"


def write_readme() -> None:
    text = README.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    before, rest = text.split(BEGIN, 1)
    README.write_text(before + gallery_block() + rest.split(END, 1)[1])
    print("README.md gallery updated")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="",
                        help="comma-separated script names to run (echo_full,lstm_shapes); "
                             "default: every script")
    parser.add_argument("--readme-only", action="store_true",
                        help="run nothing: rewrite the README's gallery from the docs/*.json there are")
    args = parser.parse_args(argv)
    scripts = sorted(ROOT.glob("*.py"))
    wanted = {name.strip().removesuffix(".py") for name in args.only.split(",") if name.strip()}
    unknown = wanted - {s.stem for s in scripts}
    if unknown:
        parser.error(f"--only: no script named {', '.join(sorted(unknown))}")
    if not args.readme_only:
        DOCS.mkdir(exist_ok=True)
        for script in scripts:
            if wanted and script.stem not in wanted:
                continue
            shown = "python " + " ".join(command(script))
            print("$ " + shown, flush=True)
            subprocess.run([sys.executable, *command(script)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            print("  " + caption(json.loads((DOCS / f"{script.stem}.json").read_text())), flush=True)
    write_readme()


if __name__ == "__main__":
    main()
