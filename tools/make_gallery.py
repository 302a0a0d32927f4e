"""Regenerate the pictures in docs/: each script's default run with --plot.

    python tools/make_gallery.py          # all scripts, about 2 minutes on 2 cores

Each script runs as a user would run it (a subprocess with its default flags) and writes
docs/NAME.png and docs/NAME.json; the README's gallery section is rewritten with each
picture, a one-line result read from the JSON, and the command that made it.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BEGIN, END = "<!-- gallery: begin -->", "<!-- gallery: end -->"


def caption(metrics: dict) -> str:
    """One line a reader can check against the picture."""
    pct = lambda x: f"{100 * x:.2f}%"  # noqa: E731
    name = metrics["script"]
    if name in ("echo_full", "echo_partial"):
        return (f"Held-out sequence accuracy {pct(metrics['sequence_accuracy'])} after "
                f"{metrics['train_seconds']:.1f} s of training.")
    if name == "reverse_bidirectional":
        models = metrics["models"]
        return ("Accuracy per output position: "
                + "; ".join(f"{model} {', '.join(f'{100 * a:.0f}' for a in scores['per_position_accuracy'])}"
                            for model, scores in models.items()) + " (%).")
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


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    entries = []
    for script in sorted(ROOT.glob("*.py")):
        png, json_path = DOCS / f"{script.stem}.png", DOCS / f"{script.stem}.json"
        command = [sys.executable, script.name, "--quiet", "--examples", "0",
                   "--plot", str(png.relative_to(ROOT)), "--metrics", str(json_path.relative_to(ROOT))]
        shown = "python " + " ".join(command[1:])
        print("$ " + shown, flush=True)
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        text = caption(json.loads(json_path.read_text()))
        print("  " + text, flush=True)
        entries.append(f"**[`{script.name}`]({script.name})**: {text}\n\n"
                       f"![{script.stem}](docs/{png.name})\n\n`{shown}`\n")
    readme = ROOT / "README.md"
    before, rest = readme.read_text().split(BEGIN, 1)
    readme.write_text(f"{before}{BEGIN}\n" + "\n".join(entries) + f"{END}{rest.split(END, 1)[1]}")
    print("README.md gallery updated")


if __name__ == "__main__":
    main()
